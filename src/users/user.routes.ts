// /api/users: the legacy REST routes over UserService. The /me routes come
// before /{id}: Express matches in order, and "me" is not a user id.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute } from "../rest/route.js";
import { notFound, unauthenticated } from "../shared/errors.js";
import { uuidSchema } from "../shared/validation.js";
import {
  authPayloadJsonSchema,
  presentAuthPayload,
  presentUser,
  presentUserDataExport,
  userDataExportJsonSchema,
  userJsonSchema,
} from "./user.presenter.js";
import { createUserSchema, loginSchema, updateUserSchema } from "./user.schema.js";
import { USER_PAGE } from "./user.service.js";

const userParams = z.object({ id: uuidSchema });

export const USER_ROUTES = [
  defineRoute({
    operationId: "login",
    method: "post",
    path: "/users/login",
    tag: "users",
    summary: "Sign in: a bearer token for the Authorization header.",
    description:
      "A wrong email and a wrong password give the same 401. 429 with Retry-After after 10 failures in a row for an email from one IP (locked 15 minutes), or 100 failures an hour from one IP.",
    auth: OPERATIONS.login,
    request: { body: loginSchema.meta({ id: "Login" }) },
    success: { status: 200, description: "The token, when it expires, and the user.", schema: authPayloadJsonSchema },
    errors: [429, 503],
    handler: async ({ services, body, clientIp }) => presentAuthPayload(await services.signIn.login(body, { clientIp })),
  }),

  defineRoute({
    operationId: "me",
    method: "get",
    path: "/users/me",
    tag: "users",
    summary: "The signed-in user.",
    auth: OPERATIONS.me,
    success: { status: 200, description: "The user.", schema: userJsonSchema },
    errors: [503],
    handler: async ({ actor, services }) => {
      const user = await services.users.me(actor);
      // Only when the user was erased during this request: its token no longer signs anyone in.
      if (!user) throw unauthenticated("invalid or expired token");
      return presentUser(user);
    },
  }),

  defineRoute({
    operationId: "exportMyData",
    method: "get",
    path: "/users/me/export",
    tag: "users",
    summary: "GDPR export: the signed-in user and every command it issued, newest first.",
    auth: OPERATIONS.myData,
    success: { status: 200, description: "Everything the server holds about the user.", schema: userDataExportJsonSchema },
    errors: [503],
    handler: async ({ actor, services }) => presentUserDataExport(await services.users.myData(actor)),
  }),

  defineRoute({
    operationId: "listUsers",
    method: "get",
    path: "/users",
    tag: "users",
    summary: "Every user, oldest first.",
    auth: OPERATIONS.users,
    request: { query: z.object(pageQuery(USER_PAGE.max)) },
    success: { status: 200, description: "A page of users.", schema: pageSchema(userJsonSchema) },
    errors: [503],
    handler: async ({ actor, services, query }) =>
      presentPage(await services.users.list(actor, pageArgs(query, USER_PAGE.max)), presentUser),
  }),

  defineRoute({
    operationId: "createUser",
    method: "post",
    path: "/users",
    tag: "users",
    summary: "Create a user; the email is stored lower-cased.",
    auth: OPERATIONS.createUser,
    request: { body: createUserSchema.meta({ id: "CreateUser" }) },
    success: { status: 201, description: "The user as stored.", schema: userJsonSchema },
    errors: [409, 503],
    handler: async ({ actor, services, body }) => presentUser(await services.users.create(actor, body)),
  }),

  defineRoute({
    operationId: "getUser",
    method: "get",
    path: "/users/{id}",
    tag: "users",
    summary: "One user: an admin may read anyone, anybody else only itself.",
    auth: OPERATIONS.user,
    request: { params: userParams },
    success: { status: 200, description: "The user.", schema: userJsonSchema },
    errors: [403, 404, 503],
    handler: async ({ actor, services, params }) => {
      const user = await services.users.get(actor, params.id);
      if (!user) throw notFound("user", params.id);
      return presentUser(user);
    },
  }),

  defineRoute({
    operationId: "updateUser",
    method: "patch",
    path: "/users/{id}",
    tag: "users",
    summary: "Change email, password and/or role: an admin anyone's, anybody else its own email and password.",
    description: "The last admin cannot be demoted (409).",
    auth: OPERATIONS.updateUser,
    request: { params: userParams, body: updateUserSchema.meta({ id: "UpdateUser" }) },
    success: { status: 200, description: "The user as stored.", schema: userJsonSchema },
    errors: [403, 404, 409, 503],
    handler: async ({ actor, services, params, body }) => presentUser(await services.users.update(actor, params.id, body)),
  }),

  defineRoute({
    operationId: "deleteUser",
    method: "delete",
    path: "/users/{id}",
    tag: "users",
    summary: "GDPR erasure: deletes the user (its email with it) and unlinks it from its commands.",
    description: "If unlinking fails midway the call fails; repeating it finishes the erasure. The last admin cannot be deleted (409).",
    auth: OPERATIONS.deleteUser,
    request: { params: userParams },
    success: { status: 204, description: "Erased." },
    errors: [404, 409, 503],
    handler: async ({ actor, services, params }) => {
      await services.users.delete(actor, params.id);
    },
  }),
];
