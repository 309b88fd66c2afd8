/**
 * `@tasker/orchestrator/testing`: the store contract suite, for anyone who writes a store
 * driver. It takes the test functions as arguments, so it loads from CommonJS too.
 */
export type { ContractExpectation, ContractTestApi } from './contract-test-api';
export type { ContractSession, StoreContractSubject } from './store-contract';
export { runStoreContract } from './store-contract';
