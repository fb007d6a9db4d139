// Loaded by .mocharc.json before any test: the suite connects directly, as before the SSH
// connection broker existed, and kiln processes the tests start inherit that. The broker's own
// tests (test/engine/connection/broker/) opt in with kiln_ssh_control_persist and their own
// KILN_CONTROL_DIR.
process.env.KILN_SSH_CONTROL_PERSIST ??= '0';
