import { Ec2ApiError, invalidAction, invalidParameterValue } from './ec2-api-error.js';
import { parseFilters, parseTags, type QueryParams } from './ec2-query.js';
import type { XmlContent, XmlFields } from './ec2-xml.js';
import {
  STATE_CODES,
  type EmulatedInstance,
  type EmulatedInstanceType,
  type EmulatedSite,
  type Reservation,
  type RunInstancesRequest,
} from './emulated-site.js';

/**
 * The EC2 actions the emulator answers: each turns the request's parameters into a call on the
 * site and the site's answer into the fields of `<ActionResponse>` (after `<requestId>`).
 */
export type Ec2Action = (site: EmulatedSite, params: QueryParams) => XmlFields;

export const EC2_ACTIONS: Readonly<Record<string, Ec2Action>> = {
  RunInstances(site, params) {
    if (!site.compatibility.tagSpecifications) {
      // Such clouds reject the parameter by name, before looking at anything else.
      const unknown = params.names().find((name) => name.startsWith('TagSpecification.'));
      if (unknown) throw new Ec2ApiError('UnknownParameter', `The parameter ${unknown} is not recognized`);
    }
    const tagSpecifications = params.structs('TagSpecification');
    const tags: Record<string, string> = {};
    for (const spec of tagSpecifications) {
      const resourceType = spec.require('ResourceType');
      // EC2 also tags the volumes and interfaces it creates; the emulator has none, so those are accepted and ignored.
      if (!['instance', 'volume', 'network-interface'].includes(resourceType)) {
        throw invalidParameterValue(`'${resourceType}' is not a valid taggable resource type for this operation.`);
      }
      if (resourceType === 'instance') Object.assign(tags, parseTags(spec));
    }
    const reservation = site.runInstances({
      imageId: params.require('ImageId'),
      // EC2's historical default; an emulated site that does not list it rejects it like any unknown type.
      instanceType: params.get('InstanceType') ?? 'm1.small',
      minCount: requiredInt(params, 'MinCount'),
      maxCount: requiredInt(params, 'MaxCount'),
      availabilityZone: params.get('Placement.AvailabilityZone') || undefined,
      userData: params.get('UserData'),
      clientToken: params.get('ClientToken') || undefined,
      tags,
      ...networkSettings(params),
    });
    return reservationFields(site, reservation);
  },

  DescribeInstances(site, params) {
    const { reservations, nextToken } = site.describeInstances({
      instanceIds: params.list('InstanceId'),
      filters: parseFilters(params),
      maxResults: params.int('MaxResults', { min: 5, max: 1000 }),
      nextToken: params.get('NextToken') || undefined,
    });
    return {
      reservationSet: reservations.map((reservation) => reservationFields(site, reservation)),
      nextToken,
    };
  },

  DescribeInstanceTypes(site, params) {
    if (!site.compatibility.describeInstanceTypes) throw invalidAction('DescribeInstanceTypes');
    const { instanceTypes, nextToken } = site.describeInstanceTypes({
      instanceTypes: params.list('InstanceType'),
      filters: parseFilters(params),
      maxResults: params.int('MaxResults', { min: 5, max: 100 }),
      nextToken: params.get('NextToken') || undefined,
    });
    return { instanceTypeSet: instanceTypes.map(instanceTypeFields), nextToken };
  },

  TerminateInstances(site, params) {
    const changes = site.terminateInstances(params.list('InstanceId'));
    return {
      instancesSet: changes.map((change) => ({
        instanceId: change.instanceId,
        currentState: stateFields(change.currentState),
        previousState: stateFields(change.previousState),
      })),
    };
  },

  CreateTags(site, params) {
    site.createTags(params.list('ResourceId'), parseTags(params));
    return { return: true };
  },

  DescribeImages(site, params) {
    // Owner.N and ExecutableBy.N are ignored: every image of a site is the site's own and public.
    const images = site.describeImages(params.list('ImageId'), parseFilters(params));
    return {
      imagesSet: images.map((image) => ({
        imageId: image.imageId,
        imageLocation: `${site.ownerId}/${image.name}`,
        imageState: 'available',
        imageOwnerId: site.ownerId,
        creationDate: '2026-01-01T00:00:00.000Z',
        isPublic: true,
        architecture: 'x86_64',
        imageType: 'machine',
        name: image.name,
        description: image.name,
        rootDeviceType: 'ebs',
        rootDeviceName: '/dev/sda1',
        blockDeviceMapping: [],
        virtualizationType: 'hvm',
        hypervisor: 'xen',
        enaSupport: true,
      })),
    };
  },

  DescribeAvailabilityZones(site, params) {
    const zones = site.describeAvailabilityZones(params.list('ZoneName'), parseFilters(params));
    return {
      availabilityZoneInfo: zones.map((zone) => ({
        zoneName: zone,
        zoneState: 'available',
        regionName: site.region,
        zoneId: `${site.region.replace(/[^a-z0-9]/g, '')}-az${site.availabilityZones.indexOf(zone) + 1}`,
        zoneType: 'availability-zone',
        optInStatus: 'opt-in-not-required',
        groupName: site.region,
        networkBorderGroup: site.region,
        messageSet: [],
      })),
    };
  },
};

function requiredInt(params: QueryParams, name: string): number {
  params.require(name);
  return params.int(name) as number;
}

type NetworkSettings = Pick<RunInstancesRequest, 'securityGroupIds' | 'subnetId' | 'keyName' | 'associatePublicIp'>;

/**
 * Where RunInstances puts the instance on the network: instance-level `SubnetId` and
 * `SecurityGroupId.N`, or a network interface that carries them, never both (EC2's rule).
 * Emulated instances have one network interface.
 */
function networkSettings(params: QueryParams): NetworkSettings {
  const keyName = params.get('KeyName') || undefined;
  const instanceGroups = params.list('SecurityGroupId');
  const instanceSubnet = params.get('SubnetId') || undefined;
  const interfaces = params.structs('NetworkInterface');
  if (interfaces.length === 0) {
    return { keyName, subnetId: instanceSubnet, securityGroupIds: instanceGroups.length > 0 ? instanceGroups : undefined };
  }
  if (instanceGroups.length > 0) {
    throw new Ec2ApiError(
      'InvalidParameterCombination',
      'Network interfaces and an instance-level security groups may not be specified on the same request',
    );
  }
  if (instanceSubnet) {
    throw new Ec2ApiError(
      'InvalidParameterCombination',
      'Network interfaces and an instance-level subnet ID may not be specified on the same request',
    );
  }
  if (interfaces.length > 1) {
    throw new Ec2ApiError('Unsupported', 'This site supports one network interface (NetworkInterface.1) per instance.');
  }
  const [networkInterface] = interfaces;
  const deviceIndex = networkInterface.int('DeviceIndex', { min: 0 });
  if (deviceIndex === undefined) throw invalidParameterValue('Each network interface requires a device index.');
  const associatePublicIp = networkInterface.bool('AssociatePublicIpAddress');
  if (associatePublicIp !== undefined && deviceIndex !== 0) {
    throw new Ec2ApiError(
      'InvalidParameterCombination',
      'The associatePublicIPAddress parameter can only be specified for the network interface with DeviceIndex 0.',
    );
  }
  if (deviceIndex !== 0) throw invalidParameterValue('The only network interface must have device index 0.');
  const groups = networkInterface.list('SecurityGroupId');
  return {
    keyName,
    subnetId: networkInterface.get('SubnetId') || undefined,
    securityGroupIds: groups.length > 0 ? groups : undefined,
    // Unset rather than false, so the ClientToken fingerprint is the same as without the parameter.
    associatePublicIp: associatePublicIp || undefined,
  };
}

function instanceTypeFields(type: EmulatedInstanceType): XmlFields {
  return {
    instanceType: type.name,
    currentGeneration: true,
    freeTierEligible: false,
    supportedUsageClasses: ['on-demand'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    bareMetal: false,
    hypervisor: 'xen',
    processorInfo: { supportedArchitectures: ['x86_64'] },
    // One thread per core, as the instances' cpuOptions say.
    vCpuInfo: { defaultVCpus: type.vcpus, defaultCores: type.vcpus, defaultThreadsPerCore: 1 },
    memoryInfo: { sizeInMiB: type.memoryMiB },
    instanceStorageSupported: false,
    gpuInfo: type.gpus ? { gpus: [{ count: type.gpus }] } : undefined,
  };
}

function reservationFields(site: EmulatedSite, reservation: Reservation): XmlFields {
  return {
    reservationId: reservation.reservationId,
    ownerId: reservation.ownerId,
    groupSet: [],
    instancesSet: reservation.instances.map((instance) => instanceFields(site, instance)),
  };
}

function instanceFields(site: EmulatedSite, instance: EmulatedInstance): XmlFields {
  const stopped = instance.state === 'shutting-down' || instance.state === 'terminated';
  const requested = instance.terminateRequestedAt?.toISOString().replace(/\.\d{3}Z$/, ' GMT').replace('T', ' ');
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateFields(instance.state),
    privateDnsName: privateDnsName(site.region, instance.privateIp),
    dnsName: '',
    reason: stopped ? `User initiated (${requested})` : '',
    keyName: instance.keyName,
    amiLaunchIndex: instance.amiLaunchIndex,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: instance.subnetId,
    privateIpAddress: instance.state === 'terminated' ? undefined : instance.privateIp,
    ipAddress: instance.publicIp,
    groupSet: instance.securityGroupIds.map((groupId) => ({ groupId })),
    stateReason: stopped
      ? { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }
      : instance.state === 'pending'
        ? { code: 'pending', message: 'pending' }
        : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/sda1',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    clientToken: instance.clientToken ?? '',
    tagSet: Object.entries(instance.tags).map(([key, value]) => ({ key, value })),
    hypervisor: 'xen',
    networkInterfaceSet: [],
    ebsOptimized: false,
    cpuOptions: { coreCount: Math.max(1, instance.vcpus), threadsPerCore: 1 },
  };
}

function stateFields(state: EmulatedInstance['state']): XmlContent {
  return { code: STATE_CODES[state], name: state };
}

function privateDnsName(region: string, ip: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** The action named by `Action=`, or EC2's answer to a missing or unknown one. */
export function actionFor(name: string | undefined): Ec2Action {
  if (!name) throw new Ec2ApiError('MissingAction', 'The request must contain the parameter Action');
  if (!Object.hasOwn(EC2_ACTIONS, name)) throw invalidAction(name);
  return EC2_ACTIONS[name];
}
