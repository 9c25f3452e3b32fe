// Runs before each test file (vitest setupFiles). After hooks run as a
// stack, so this one runs after the file's own: its servers are gone first.
import { afterAll } from "vitest";
import { stopFileDynamo } from "./dynamo-local";

afterAll(stopFileDynamo, 30_000);
