// Runs before each test file (vitest setupFiles).
import { stopFileDynamoAfterAll } from "./dynamo-local";

stopFileDynamoAfterAll();
