// --tags / --skip-tags with Ansible's special tags: always, never, tagged, untagged, all.

/** Whether a task with these tags runs under the given selection. */
export function tagsSelect(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags);
  if (skip.length) {
    if (skip.includes('all')) return false;
    if (skip.some((t) => tags.has(t))) return false;
    if (skip.includes('tagged') && tags.size > 0) return false;
    if (skip.includes('untagged') && tags.size === 0) return false;
  }
  if (tags.has('never')) {
    // 'never' runs only when one of its other tags (or 'never' itself) is asked for.
    return only.some((t) => t !== 'all' && tags.has(t));
  }
  if (tags.has('always')) return !skip.includes('always');
  if (only.length === 0 || only.includes('all')) return true;
  if (only.includes('tagged') && tags.size > 0) return true;
  if (only.includes('untagged') && tags.size === 0) return true;
  return only.some((t) => tags.has(t));
}
