#!/usr/bin/env node
/**
 * The `sealpost-receiver` command of the `sealpost` package: the receiver worker, run in this
 * process so that SIGTERM and SIGINT reach the code that shuts it down.
 */
import '@sealpost/receiver/main';
