/** AWS KMS keys: signer, verifier, key wrapper and unwrapper; CSR, BYOK import and key policies. */
export * from '@sealpost/aws-kms';
