export * from './resolve.ts';
export * from './certificates.ts';
