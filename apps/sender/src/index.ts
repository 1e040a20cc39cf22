export { createSender, type Sender, type SenderOptions, type OutgoingMessage } from './sender.ts';
