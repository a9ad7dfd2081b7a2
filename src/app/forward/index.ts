// Public surface of vhost forward.
export { ForwardService } from './forward-service.js';
export { Forwarder, retryDelayMs } from './forwarder.js';
