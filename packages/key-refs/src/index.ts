export * from './resolve.ts';
export * from './certificates.ts';
export * from './describe.ts';
