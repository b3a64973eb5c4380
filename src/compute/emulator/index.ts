export { bearerToken, Ec2Emulator, type Ec2EmulatorOptions, type Ec2CallContext, type Ec2CallOutcome, type ListingAuthorizer } from './ec2-emulator.js';
export type { EmulatedFaults } from './ec2-faults.js';
export type {
  EmulatedCapacity,
  EmulatedCompatibility,
  EmulatedImage,
  EmulatedInstance,
  EmulatedInstanceType,
  EmulatedSiteSpec,
} from './emulated-site.js';
export { typeCapacityProblem } from './emulated-site.js';
