/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment UserFields on User {\n  id\n  email\n  role\n  createdAt\n  updatedAt\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}\n\nquery Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...UserFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery MyData {\n  myData {\n    user {\n      ...UserFields\n    }\n    commands {\n      id\n      vmId\n      command\n      createdAt\n    }\n    exportedAt\n  }\n}\n\nmutation Login($email: EmailAddress!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...UserFields\n    }\n  }\n}\n\nmutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    ...UserFields\n  }\n}\n\nmutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    ...UserFields\n  }\n}\n\nmutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}": typeof types.UserFieldsFragmentDoc,
    "fragment VmFields on Vm {\n  id\n  name\n  environment\n  tags\n  createdAt\n  updatedAt\n}\n\nquery Vm($id: ID!) {\n  vm(id: $id) {\n    ...VmFields\n  }\n}\n\nquery Vms($environment: String, $first: Int, $after: String) {\n  vms(environment: $environment, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...VmFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nmutation CreateVm($input: CreateVmInput!) {\n  createVm(input: $input) {\n    ...VmFields\n  }\n}": typeof types.VmFieldsFragmentDoc,
};
const documents: Documents = {
    "fragment UserFields on User {\n  id\n  email\n  role\n  createdAt\n  updatedAt\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}\n\nquery Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...UserFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery MyData {\n  myData {\n    user {\n      ...UserFields\n    }\n    commands {\n      id\n      vmId\n      command\n      createdAt\n    }\n    exportedAt\n  }\n}\n\nmutation Login($email: EmailAddress!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...UserFields\n    }\n  }\n}\n\nmutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    ...UserFields\n  }\n}\n\nmutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    ...UserFields\n  }\n}\n\nmutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}": types.UserFieldsFragmentDoc,
    "fragment VmFields on Vm {\n  id\n  name\n  environment\n  tags\n  createdAt\n  updatedAt\n}\n\nquery Vm($id: ID!) {\n  vm(id: $id) {\n    ...VmFields\n  }\n}\n\nquery Vms($environment: String, $first: Int, $after: String) {\n  vms(environment: $environment, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...VmFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nmutation CreateVm($input: CreateVmInput!) {\n  createVm(input: $input) {\n    ...VmFields\n  }\n}": types.VmFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment UserFields on User {\n  id\n  email\n  role\n  createdAt\n  updatedAt\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}\n\nquery Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...UserFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery MyData {\n  myData {\n    user {\n      ...UserFields\n    }\n    commands {\n      id\n      vmId\n      command\n      createdAt\n    }\n    exportedAt\n  }\n}\n\nmutation Login($email: EmailAddress!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...UserFields\n    }\n  }\n}\n\nmutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    ...UserFields\n  }\n}\n\nmutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    ...UserFields\n  }\n}\n\nmutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}"): (typeof documents)["fragment UserFields on User {\n  id\n  email\n  role\n  createdAt\n  updatedAt\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}\n\nquery Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...UserFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery MyData {\n  myData {\n    user {\n      ...UserFields\n    }\n    commands {\n      id\n      vmId\n      command\n      createdAt\n    }\n    exportedAt\n  }\n}\n\nmutation Login($email: EmailAddress!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...UserFields\n    }\n  }\n}\n\nmutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    ...UserFields\n  }\n}\n\nmutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    ...UserFields\n  }\n}\n\nmutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment VmFields on Vm {\n  id\n  name\n  environment\n  tags\n  createdAt\n  updatedAt\n}\n\nquery Vm($id: ID!) {\n  vm(id: $id) {\n    ...VmFields\n  }\n}\n\nquery Vms($environment: String, $first: Int, $after: String) {\n  vms(environment: $environment, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...VmFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nmutation CreateVm($input: CreateVmInput!) {\n  createVm(input: $input) {\n    ...VmFields\n  }\n}"): (typeof documents)["fragment VmFields on Vm {\n  id\n  name\n  environment\n  tags\n  createdAt\n  updatedAt\n}\n\nquery Vm($id: ID!) {\n  vm(id: $id) {\n    ...VmFields\n  }\n}\n\nquery Vms($environment: String, $first: Int, $after: String) {\n  vms(environment: $environment, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...VmFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nmutation CreateVm($input: CreateVmInput!) {\n  createVm(input: $input) {\n    ...VmFields\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;