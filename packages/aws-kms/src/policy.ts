import { SealpostError } from '@sealpost/envelope';

/** Roles for {@link keyPolicies}. */
export interface KeyPolicyRoles {
  /** The role that seals messages. */
  readonly senderRoleArn: string;
  /** The role that opens them. */
  readonly receiverRoleArn: string;
  /** The role that administers the keys (never uses them). */
  readonly adminRoleArn: string;
  /**
   * A role that makes certificate signing requests for the signing key (`sealpost kms csr`:
   * GetPublicKey and Sign), when that is not the sender role. The sender role can always do it.
   */
  readonly csrRoleArn?: string;
  /** The account that owns the keys; default: the admin role's account. */
  readonly accountId?: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/**
 * What a key administrator does, named one by one: no wildcard (`kms:Create*` includes
 * CreateGrant, `kms:Put*` PutKeyPolicy, either of which lets the holder give itself Decrypt or
 * Sign), no grant creation, no policy change, no use of the key.
 */
export const ADMIN_ACTIONS: readonly string[] = Object.freeze([
  'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:ListKeyPolicies', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags', 'kms:ListGrants',
  'kms:EnableKey', 'kms:DisableKey', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:UpdateKeyDescription',
  'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:TagResource', 'kms:UntagResource',
  'kms:RevokeGrant', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  'kms:GetParametersForImport', 'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial',
]);

function statement(sid: string, principal: string, actions: string[]) {
  return { Sid: sid, Effect: 'Allow', Principal: { AWS: principal }, Action: actions, Resource: '*' };
}

/**
 * Least-privilege key policies for the signing key and the encryption key, ready for
 * `aws kms put-key-policy`:
 * - the sender may only Sign and GetPublicKey (signing key; enough for `kms csr`) and
 *   GetPublicKey/Encrypt (encryption key); an optional CSR role only GetPublicKey and Sign;
 * - the receiver may only Verify/GetPublicKey (signing key) and Decrypt (encryption key);
 * - administrators manage both keys with {@link ADMIN_ACTIONS} and cannot use them, create
 *   grants or change the policy, so they cannot give themselves Decrypt or Sign;
 * - the account root statement (`kms:*` for `arn:aws:iam::ACCOUNT:root`) lets the account's IAM
 *   policies grant access to the key, and keeps the policy changeable (AWS refuses a policy
 *   that locks every principal out of PutKeyPolicy). It trusts IAM, not everyone: what a
 *   principal may do with the key is then also what its IAM policies allow, so the promise
 *   "administrators cannot read messages" needs the admin role's IAM policies to hold no
 *   `kms:*` (or Decrypt, Sign, CreateGrant, PutKeyPolicy) on these keys;
 * - no statement has a wildcard principal. (`Resource: "*"` in a key policy means "this key".)
 */
export function keyPolicies(roles: KeyPolicyRoles) {
  for (const [name, arn] of [['sender role', roles.senderRoleArn], ['receiver role', roles.receiverRoleArn], ['admin role', roles.adminRoleArn]] as const) {
    if (!ROLE_ARN.test(arn)) throw new SealpostError('CONFIG_INVALID', `${name} must be an IAM role ARN like arn:aws:iam::111122223333:role/name, got ${JSON.stringify(arn)}`);
  }
  if (roles.csrRoleArn !== undefined && !ROLE_ARN.test(roles.csrRoleArn)) throw new SealpostError('CONFIG_INVALID', `CSR role must be an IAM role ARN like arn:aws:iam::111122223333:role/name, got ${JSON.stringify(roles.csrRoleArn)}`);
  if (new Set([roles.senderRoleArn, roles.receiverRoleArn, roles.adminRoleArn]).size !== 3) {
    throw new SealpostError('CONFIG_INVALID', 'sender, receiver and admin roles must be different roles');
  }
  if (roles.csrRoleArn === roles.adminRoleArn || roles.csrRoleArn === roles.receiverRoleArn) {
    throw new SealpostError('CONFIG_INVALID', 'the CSR role signs with the signing key: it must not be the admin or the receiver role');
  }
  const account = roles.accountId ?? ROLE_ARN.exec(roles.adminRoleArn)![1]!;
  if (!/^\d{12}$/.test(account)) throw new SealpostError('CONFIG_INVALID', 'accountId must be 12 digits');
  const root = statement('EnableIamPolicies', `arn:aws:iam::${account}:root`, ['kms:*']);
  const admin = statement('KeyAdministration', roles.adminRoleArn, [...ADMIN_ACTIONS]);
  const csr = roles.csrRoleArn && roles.csrRoleArn !== roles.senderRoleArn ? [statement('CsrSigns', roles.csrRoleArn, ['kms:GetPublicKey', 'kms:Sign', 'kms:DescribeKey'])] : [];
  return {
    signingKeyPolicy: {
      Version: '2012-10-17',
      Statement: [
        root,
        admin,
        statement('SenderSigns', roles.senderRoleArn, ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey']),
        statement('ReceiverVerifies', roles.receiverRoleArn, ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey']),
        ...csr,
      ],
    },
    encryptionKeyPolicy: {
      Version: '2012-10-17',
      Statement: [
        root,
        admin,
        statement('SenderEncrypts', roles.senderRoleArn, ['kms:GetPublicKey', 'kms:Encrypt', 'kms:DescribeKey']),
        statement('ReceiverDecrypts', roles.receiverRoleArn, ['kms:Decrypt', 'kms:DescribeKey']),
      ],
    },
  };
}
