// TEST ONLY: the second Registry code version used by the upgrade tests.
export { RegistryV2 } from '../build/RegistryV2/RegistryV2_RegistryV2';
