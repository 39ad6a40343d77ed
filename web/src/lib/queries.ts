// GraphQL selections shared by more than one page.

/** An assignment with everything the labeling and review pages need (without other annotators' work). */
export const ASSIGNMENT_FIELDS = /* GraphQL */ `
  id kind status round leaseExpiresAt activeSeconds
  task {
    id frameIndex prelabel modelConfidence
    asset { id url kind contentType metadata frameIndexUrl spriteUrl volumeUrl }
    campaign { id name labelSchema guidelines guidelinesVersion }
  }
  latestAnnotation { id data version submitted }
`;

/** User administration (/admin/users): every account with what an admin or ops manager may see. */
export const USERS = /* GraphQL */ `
  query AdminUsers {
    users { id name email roles active skills { level skill { key name } } credentials { kind issuer expiresAt } }
    skills { key name }
  }
`;

export const REGISTER_USER = /* GraphQL */ `
  mutation RegisterUser($email: String!, $name: String!, $password: String!, $roles: [Role!]!) {
    registerUser(email: $email, name: $name, password: $password, roles: $roles) {
      __typename
      ... on DomainError { code message }
      ... on User { id name }
    }
  }
`;

export const SET_USER_ROLES = /* GraphQL */ `
  mutation SetUserRoles($userId: ID!, $roles: [Role!]!) {
    setUserRoles(userId: $userId, roles: $roles) {
      __typename
      ... on DomainError { code message }
      ... on User { id roles }
    }
  }
`;

export const SET_USER_ACTIVE = /* GraphQL */ `
  mutation SetUserActive($userId: ID!, $active: Boolean!) {
    setUserActive(userId: $userId, active: $active) {
      __typename
      ... on DomainError { code message }
      ... on User { id active }
    }
  }
`;

/** The new one-time password comes back once; the account's sessions end. */
export const RESET_PASSWORD = /* GraphQL */ `
  mutation ResetPassword($userId: ID!) {
    resetPassword(userId: $userId) {
      __typename
      ... on DomainError { code message }
      ... on MutationResetPasswordSuccess { data }
    }
  }
`;

export const REVOKE_USER_SESSIONS = /* GraphQL */ `
  mutation RevokeUserSessions($userId: ID!) {
    revokeUserSessions(userId: $userId) {
      __typename
      ... on DomainError { code message }
      ... on MutationRevokeUserSessionsSuccess { data }
    }
  }
`;

/** Your own password (/account, server-side: the fresh token returned goes into the session cookie). */
export const CHANGE_PASSWORD = /* GraphQL */ `
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      __typename
      ... on DomainError { code message }
      ... on MutationChangePasswordSuccess { data }
    }
  }
`;
