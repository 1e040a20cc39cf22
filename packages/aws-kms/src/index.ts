/**
 * AWS KMS keys for Sealpost: private halves never leave KMS.
 *
 * @example
 * ```ts
 * import { createKmsClient, createKmsSigner, createKmsKeyWrapper } from '@sealpost/aws-kms'
 * const client = createKmsClient()
 * const signer = await createKmsSigner({ client, keyId: 'alias/sealpost-sender' })
 * const recipient = await createKmsKeyWrapper({ client, keyId: 'alias/sealpost-receiver' })
 * ```
 */
export { createKmsClient, type KmsClientOptions } from './client.ts';
export { mapKmsError } from './errors.ts';
export { describeAndCheck, describeAnyKey, getPublicKey, KEY_SPEC_SIGNING_ALGORITHM, type KeyPurpose } from './describe.ts';
export { createKmsSigner, createKmsTrustedSender, createKmsKeyWrapper, createKmsKeyUnwrapper, type KmsKeyOptions } from './keys.ts';
export { createCsr, type CsrOptions } from './csr.ts';
export { importKeyMaterial, wrapKeyMaterial, type ImportKeyMaterialOptions, type ImportWrappingAlgorithm } from './import-key-material.ts';
export { ADMIN_ACTIONS, keyPolicies, type KeyPolicyRoles } from './policy.ts';
export { parseSubject } from './subject.ts';
