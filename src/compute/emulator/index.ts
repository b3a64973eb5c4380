export { Ec2Emulator, type Ec2EmulatorOptions, type Ec2CallContext, type Ec2CallOutcome } from './ec2-emulator.js';
export type {
  EmulatedCapacity,
  EmulatedImage,
  EmulatedInstance,
  EmulatedInstanceType,
  EmulatedSiteSpec,
} from './emulated-site.js';
