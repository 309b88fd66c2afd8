/**
 * `@tasker/adapters/logs`: lifecycle events as structured JSON log lines through a
 * pino-compatible logger. It imports nothing from pino: any logger with pino's methods works,
 * so pino is an optional peer dependency.
 */
export type { AdapterErrorCode } from '../shared/errors';
export { AdapterError, isAdapterError } from '../shared/errors';
export type { LogTraceFields, LogTraceFieldsOf } from '../shared/log-trace-fields';
export type { LogLevel } from './log-levels';
export { levelOf } from './log-levels';
export type { LogFields } from './log-line';
export type { LogLogger, LogsBackend, LogsBackendOptions } from './logs-backend';
export { createLogsBackend } from './logs-backend';
