DROP INDEX violations_source_created;
