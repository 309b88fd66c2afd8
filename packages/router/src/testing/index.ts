export type {
  BackendContractOptions,
  ContractExpectation,
  ContractTestApi,
  RecordedProbe,
} from './backend-contract';
export { runBackendContract } from './backend-contract';
export { SAMPLE_PAYLOADS } from './sample-payloads';
