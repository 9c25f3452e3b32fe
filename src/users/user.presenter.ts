// The REST shapes of users: the GraphQL User, flat, role in lower case as
// stored, dates as ISO strings. The password hash never reaches a User.
import { z } from "zod";
import { ROLES } from "../auth/permissions.js";
import { commandJsonSchema, presentCommand } from "../commands/command.presenter.js";
import type { AuthPayload, User, UserDataExport } from "./user.model.js";

export const userJsonSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(ROLES),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "User" });
export type UserJson = z.infer<typeof userJsonSchema>;

export function presentUser(user: User): UserJson {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export const authPayloadJsonSchema = z
  .object({
    token: z.string().meta({ description: "Send as `Authorization: Bearer <token>`." }),
    expiresAt: z.iso.datetime(),
    user: userJsonSchema,
  })
  .meta({ id: "AuthPayload" });

export function presentAuthPayload(payload: AuthPayload): z.infer<typeof authPayloadJsonSchema> {
  return { token: payload.token, expiresAt: payload.expiresAt.toISOString(), user: presentUser(payload.user) };
}

export const userDataExportJsonSchema = z
  .object({
    user: userJsonSchema,
    commands: z.array(commandJsonSchema).meta({ description: "Commands the user issued, newest first." }),
    exportedAt: z.iso.datetime(),
  })
  .meta({ id: "UserDataExport" });

export function presentUserDataExport(data: UserDataExport): z.infer<typeof userDataExportJsonSchema> {
  return { user: presentUser(data.user), commands: data.commands.map(presentCommand), exportedAt: data.exportedAt.toISOString() };
}
