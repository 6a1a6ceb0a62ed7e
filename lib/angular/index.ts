/**
 * `rxjs-chat-stream/angular`: the toolkit as an Angular resource. Needs `@angular/core` (>= 20), an
 * optional peer dependency of the package: the main entry never imports it.
 */
export { chatResource } from './chatResource.js';
export type { ChatAnswer, ChatResourceOptions, ChatResourceRequest } from './chatResource.js';
