-- The visit counter's table, created once. Prints "created" or "present" for changed_when.
SELECT IF(COUNT(*) = 0, 'created', 'present') FROM information_schema.tables
  WHERE table_schema = DATABASE() AND table_name = 'visits';
CREATE TABLE IF NOT EXISTS visits (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  hits BIGINT UNSIGNED NOT NULL
) ENGINE = InnoDB;
INSERT IGNORE INTO visits (id, hits) VALUES (1, 0);
