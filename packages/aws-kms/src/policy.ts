import { SealpostError } from '@sealpost/envelope';

/** Roles for {@link keyPolicies}. */
export interface KeyPolicyRoles {
  /** The role that seals messages. */
  readonly senderRoleArn: string;
  /** The role that opens them. */
  readonly receiverRoleArn: string;
  /** The role that administers the keys (never uses them). */
  readonly adminRoleArn: string;
  /** The account that owns the keys; default: the admin role's account. */
  readonly accountId?: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

const ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
  'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial',
];

function statement(sid: string, principal: string, actions: string[]) {
  return { Sid: sid, Effect: 'Allow', Principal: { AWS: principal }, Action: actions, Resource: '*' };
}

/**
 * Least-privilege key policies for the signing key and the encryption key, ready for
 * `aws kms put-key-policy`:
 * - the sender may only Sign (signing key) and GetPublicKey/Encrypt (encryption key);
 * - the receiver may only Verify/GetPublicKey (signing key) and Decrypt (encryption key);
 * - administrators manage both keys but cannot use them; the account root statement keeps the
 *   key manageable through IAM (AWS requires it to avoid unmanageable keys);
 * - no statement has a wildcard principal. (`Resource: "*"` in a key policy means "this key".)
 */
export function keyPolicies(roles: KeyPolicyRoles) {
  for (const [name, arn] of [['sender role', roles.senderRoleArn], ['receiver role', roles.receiverRoleArn], ['admin role', roles.adminRoleArn]] as const) {
    if (!ROLE_ARN.test(arn)) throw new SealpostError('CONFIG_INVALID', `${name} must be an IAM role ARN like arn:aws:iam::111122223333:role/name, got ${JSON.stringify(arn)}`);
  }
  if (new Set([roles.senderRoleArn, roles.receiverRoleArn, roles.adminRoleArn]).size !== 3) {
    throw new SealpostError('CONFIG_INVALID', 'sender, receiver and admin roles must be different roles');
  }
  const account = roles.accountId ?? ROLE_ARN.exec(roles.adminRoleArn)![1]!;
  if (!/^\d{12}$/.test(account)) throw new SealpostError('CONFIG_INVALID', 'accountId must be 12 digits');
  const root = statement('EnableIamPolicies', `arn:aws:iam::${account}:root`, ['kms:*']);
  const admin = statement('KeyAdministration', roles.adminRoleArn, ADMIN_ACTIONS);
  return {
    signingKeyPolicy: {
      Version: '2012-10-17',
      Statement: [
        root,
        admin,
        statement('SenderSigns', roles.senderRoleArn, ['kms:Sign', 'kms:DescribeKey']),
        statement('ReceiverVerifies', roles.receiverRoleArn, ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey']),
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
