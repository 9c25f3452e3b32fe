-- Job.commandId is a contract field; the cache mirrors DynamoDB's commandId so
-- cached jobs answer it. Nullable: jobs cached before this column, or created
-- without a command, have none. Not indexed: jobs are never looked up by
-- command in the cache (Command.jobs reads DynamoDB's byCommandId index).
ALTER TABLE jobs ADD COLUMN command_id TEXT NULL;
