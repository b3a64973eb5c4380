export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format. */
  DateTime: { input: string; output: string; }
  /** A JSON object */
  JSONObject: { input: Record<string, unknown>; output: Record<string, unknown>; }
};

export type AddProjectMemberInput = {
  /** the user, by the email their identity provider gave */
  email?: InputMaybe<Scalars['String']['input']>;
  projectId: Scalars['ID']['input'];
  /** RESEARCHER or PROJECT_MANAGER */
  role: Role;
  /** the user, by id; or give email */
  userId?: InputMaybe<Scalars['ID']['input']>;
};

/** Concurrent limits and optional core-hour and GPU-hour budgets granted to a project */
export type Allocation = {
  __typename?: 'Allocation';
  /** core-hour budget; null: unlimited */
  coreHours?: Maybe<Scalars['Float']['output']>;
  endsAt?: Maybe<Scalars['DateTime']['output']>;
  /** when its budget was used up */
  exhaustedAt?: Maybe<Scalars['DateTime']['output']>;
  /** GPU-hour budget; null: unlimited */
  gpuHours?: Maybe<Scalars['Float']['output']>;
  gpus: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
  instances?: Maybe<Scalars['Int']['output']>;
  memoryMiB: Scalars['Int']['output'];
  project: Project;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  startsAt?: Maybe<Scalars['DateTime']['output']>;
  /** when it stops counting: null lets running leases finish; else what it no longer covers is terminated after this many minutes */
  terminateAfterMinutes?: Maybe<Scalars['Int']['output']>;
  vcpus: Scalars['Int']['output'];
};

/** the last allocator cycle's figures, like HTCondor's negotiator statistics */
export type AllocatorStatus = {
  __typename?: 'AllocatorStatus';
  /** waiting requests it looked at */
  considered: Scalars['Int']['output'];
  /** cycles run by this deployment */
  cycles: Scalars['Float']['output'];
  durationSeconds: Scalars['Float']['output'];
  /** null: no cycle has run yet */
  lastCycleAt?: Maybe<Scalars['DateTime']['output']>;
  /** matched / considered */
  matchRate: Scalars['Float']['output'];
  /** requests it placed */
  matched: Scalars['Int']['output'];
};

/** An API token, without its secret value */
export type ApiToken = {
  __typename?: 'ApiToken';
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  institution?: Maybe<Scalars['String']['output']>;
  /** a user's own token, or a service account's */
  kind: Scalars['String']['output'];
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  operations?: Maybe<Array<Scalars['String']['output']>>;
  /** the token it was made with, if any: revoking that one revoked this one */
  parentTokenId?: Maybe<Scalars['ID']['output']>;
  projectId?: Maybe<Scalars['ID']['output']>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  role: Role;
};

export type ApplySitesInput = {
  /** apply even sites that cannot be reached or refuse the credentials; default false: every site is probed first, and one that fails stops the whole apply (BAD_USER_INPUT naming its endpoint or accessKeyId) */
  allowUnhealthy?: InputMaybe<Scalars['Boolean']['input']>;
  /** show what would change and change nothing */
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
  sites: Array<SiteDescriptorInput>;
};

/** An administrative change: who, what, before and after (secrets redacted), when */
export type AuditEvent = {
  __typename?: 'AuditEvent';
  /** e.g. site.register, project.create, allocation.grant, serviceAccount.create */
  action: Scalars['String']['output'];
  actorId: Scalars['String']['output'];
  actorName: Scalars['String']['output'];
  after?: Maybe<Scalars['JSONObject']['output']>;
  at: Scalars['DateTime']['output'];
  before?: Maybe<Scalars['JSONObject']['output']>;
  id: Scalars['ID']['output'];
  targetId: Scalars['String']['output'];
  targetType: Scalars['String']['output'];
};

export type Capacity = {
  __typename?: 'Capacity';
  gpus: Scalars['Int']['output'];
  instances?: Maybe<Scalars['Int']['output']>;
  memoryMiB: Scalars['Int']['output'];
  vcpus: Scalars['Int']['output'];
};

export type CapacityInput = {
  gpus?: InputMaybe<Scalars['Int']['input']>;
  instances?: InputMaybe<Scalars['Int']['input']>;
  memoryMiB: Scalars['Int']['input'];
  vcpus: Scalars['Int']['input'];
};

export type CreateApiTokenInput = {
  /** default 90, at most 3650; made with a token, never after it */
  expiresInDays?: InputMaybe<Scalars['Int']['input']>;
  name: Scalars['String']['input'];
  /** the only operations (root fields, e.g. submitRequest) the token may call; unset: any */
  operations?: InputMaybe<Array<Scalars['String']['input']>>;
  /** only your roles in this project; unset: all your projects */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** the highest of your roles the token carries; default RESEARCHER */
  role?: InputMaybe<Role>;
};

export type CreateProjectInput = {
  institution: Scalars['String']['input'];
  name: Scalars['String']['input'];
};

export type CreateServiceAccountInput = {
  /** unset: SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS (90 unless set); at most SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS (365); made with a token, never after it */
  expiresInDays?: InputMaybe<Scalars['Int']['input']>;
  institution?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  projectId?: InputMaybe<Scalars['ID']['input']>;
  role: Role;
};

export type CreateWorkerPoolInput = {
  /** default minSize */
  desiredSize?: InputMaybe<Scalars['Int']['input']>;
  /** default 0 */
  gpus?: InputMaybe<Scalars['Int']['input']>;
  /** logical image name, as for a request */
  image: Scalars['String']['input'];
  /** each member's lease; a member whose lease ends is replaced */
  leaseHours: Scalars['Float']['input'];
  maxSize: Scalars['Int']['input'];
  memoryMiB: Scalars['Int']['input'];
  /** default 0 */
  minSize?: InputMaybe<Scalars['Int']['input']>;
  /** unique among the project's pools: letters, digits, "_", "." and "-" */
  name: Scalars['String']['input'];
  projectId: Scalars['ID']['input'];
  /** cloud-init that starts the worker (e.g. an HTCondor startd) */
  userData?: InputMaybe<Scalars['String']['input']>;
  vcpus: Scalars['Int']['input'];
};

/** The token is shown once */
export type CreatedApiToken = {
  __typename?: 'CreatedApiToken';
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  token: Scalars['String']['output'];
};

export type GrantAllocationInput = {
  /** consumable budget; unset = unlimited */
  coreHours?: InputMaybe<Scalars['Float']['input']>;
  endsAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** consumable GPU budget; unset = unlimited */
  gpuHours?: InputMaybe<Scalars['Float']['input']>;
  gpus?: InputMaybe<Scalars['Int']['input']>;
  instances?: InputMaybe<Scalars['Int']['input']>;
  memoryMiB: Scalars['Int']['input'];
  projectId: Scalars['ID']['input'];
  startsAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** when it ends, is revoked or runs out of budget, terminate what it no longer covers after this many minutes (unset: leases finish) */
  terminateAfterMinutes?: InputMaybe<Scalars['Int']['input']>;
  vcpus: Scalars['Int']['input'];
};

export type ImageMapping = {
  __typename?: 'ImageMapping';
  /** logical image name, as requests name it */
  image: Scalars['String']['output'];
  /** the site's own image id */
  imageId: Scalars['String']['output'];
};

export type ImageMappingInput = {
  image: Scalars['String']['input'];
  imageId: Scalars['String']['input'];
};

export type Instance = {
  __typename?: 'Instance';
  /** placed on the unused home share of another institution's site */
  borrowed: Scalars['Boolean']['output'];
  /** when it stopped running (terminated, failed or vanished) */
  endedAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  instanceType: Scalars['String']['output'];
  leaseEndsAt?: Maybe<Scalars['DateTime']['output']>;
  privateIp?: Maybe<Scalars['String']['output']>;
  publicIp?: Maybe<Scalars['String']['output']>;
  site: Site;
  /** the id the site's EC2 endpoint gave */
  siteInstanceId?: Maybe<Scalars['String']['output']>;
  /** when the site first reported it running: its run time is charged from then, per started minute */
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  state: InstanceState;
};

export type InstanceState =
  | 'FAILED'
  | 'PENDING'
  | 'REQUESTED'
  | 'RUNNING'
  | 'TERMINATED'
  | 'TERMINATING';

export type InstanceType = {
  __typename?: 'InstanceType';
  gpus: Scalars['Int']['output'];
  memoryMiB: Scalars['Int']['output'];
  name: Scalars['String']['output'];
  vcpus: Scalars['Int']['output'];
};

export type InstanceTypeInput = {
  gpus?: InputMaybe<Scalars['Int']['input']>;
  memoryMiB: Scalars['Int']['input'];
  name: Scalars['String']['input'];
  vcpus: Scalars['Int']['input'];
};

/** what an institution's sites gave to other institutions' projects, and what its projects took at other institutions' sites */
export type InstitutionBalance = {
  __typename?: 'InstitutionBalance';
  /** core-hours its projects ran at other institutions' sites */
  borrowedCoreHours: Scalars['Float']['output'];
  institution: Scalars['String']['output'];
  /** core-hours its sites ran for other institutions' projects */
  lentCoreHours: Scalars['Float']['output'];
  /** lent less borrowed: above 0, it gives more than it takes */
  netCoreHours: Scalars['Float']['output'];
};

export type InvalidRequestError = UserError & {
  __typename?: 'InvalidRequestError';
  code: Scalars['String']['output'];
  field?: Maybe<Scalars['String']['output']>;
  message: Scalars['String']['output'];
};

/** Who is calling */
export type Me = {
  __typename?: 'Me';
  id: Scalars['String']['output'];
  /** user, service-account or bootstrap-admin */
  kind: Scalars['String']['output'];
  name: Scalars['String']['output'];
  /** the projects you may act in */
  projects: Array<Project>;
  roles: Array<RoleGrant>;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** make a user a RESEARCHER or PROJECT_MANAGER of a project (managers and admins) */
  addProjectMember: ProjectMember;
  /** adds a NOTE to the request's history (a batch system's log of what it did); a request that ended may be noted too */
  addRequestNote: RequestEvent;
  /** creates or updates sites by name from descriptors, all or none (`skypool sites apply`) */
  applySites: SitesApplyResult;
  cancelRequest: ResourceRequest;
  /** a token that acts as you (logged in), limited to a project, operations and a role */
  createApiToken: CreatedApiToken;
  createProject: Project;
  /** a token for a batch job or the CLI */
  createServiceAccount: CreatedApiToken;
  /** a pool that keeps desiredSize workers of one shape running in the project, for a pilot system (HTCondor, GlideinWMS, DIRAC) */
  createWorkerPool: WorkerPool;
  /** no more deliveries; deleting it again changes nothing */
  deleteWebhook: Webhook;
  /** ends its members (their instances are terminated); deleting it again changes nothing */
  deleteWorkerPool: WorkerPool;
  /** no new placements at the site; running leases finish */
  drainSite: Site;
  /** a RUNNING request's lease ends `hours` later: within the longest lease allowed and the project's budget */
  extendLease: ResourceRequest;
  grantAllocation: Allocation;
  /** adds a site and probes it at once */
  registerSite: Site;
  /** POST a project's notifications (its managers) or an institution's (its site admins) to a URL, signed with the secret answered once */
  registerWebhook: WebhookRegistration;
  /** false when the user had no role given in the project */
  removeProjectMember: Scalars['Boolean']['output'];
  /** takes a site out of the federation; refused while instances there hold resources */
  removeSite: Site;
  /** brings a removed site back into the federation as it was (settings, credentials, history) and probes it; refused while another site has its name */
  restoreSite: Site;
  /** ends a drain: the site takes placements again */
  resumeSite: Site;
  /** stops an allocation counting now; running leases finish unless terminateAfterMinutes is given */
  revokeAllocation: Allocation;
  /** ends a token at once */
  revokeApiToken: ApiToken;
  /** turn a kind of notification on or off in your e-mail digest */
  setNotificationPreference: NotificationPreference;
  /** sets a project's fair-share priority factor (federation admins); HTCondor-style: 2 gets half the share of 1 */
  setProjectPriorityFactor: Project;
  /** the kinds the webhook is sent; the others are turned off */
  setWebhookKinds: Webhook;
  /** within the pool's minSize and maxSize; shrinking ends the newest members first */
  setWorkerPoolSize: WorkerPool;
  submitRequest: SubmitRequestResult;
  /** changes an allocation; what is left out stays */
  updateAllocation: Allocation;
  /** changes some settings of a site; a new endpoint or credentials are probed at once */
  updateSite: Site;
};


export type MutationAddProjectMemberArgs = {
  input: AddProjectMemberInput;
};


export type MutationAddRequestNoteArgs = {
  note: Scalars['String']['input'];
  requestId: Scalars['ID']['input'];
};


export type MutationApplySitesArgs = {
  input: ApplySitesInput;
};


export type MutationCancelRequestArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreateApiTokenArgs = {
  input: CreateApiTokenInput;
};


export type MutationCreateProjectArgs = {
  input: CreateProjectInput;
};


export type MutationCreateServiceAccountArgs = {
  input: CreateServiceAccountInput;
};


export type MutationCreateWorkerPoolArgs = {
  input: CreateWorkerPoolInput;
};


export type MutationDeleteWebhookArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteWorkerPoolArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDrainSiteArgs = {
  id: Scalars['ID']['input'];
};


export type MutationExtendLeaseArgs = {
  hours: Scalars['Float']['input'];
  id: Scalars['ID']['input'];
};


export type MutationGrantAllocationArgs = {
  input: GrantAllocationInput;
};


export type MutationRegisterSiteArgs = {
  input: RegisterSiteInput;
};


export type MutationRegisterWebhookArgs = {
  input: RegisterWebhookInput;
};


export type MutationRemoveProjectMemberArgs = {
  projectId: Scalars['ID']['input'];
  userId: Scalars['ID']['input'];
};


export type MutationRemoveSiteArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRestoreSiteArgs = {
  id: Scalars['ID']['input'];
};


export type MutationResumeSiteArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeAllocationArgs = {
  id: Scalars['ID']['input'];
  terminateAfterMinutes?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationRevokeApiTokenArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetNotificationPreferenceArgs = {
  email: Scalars['Boolean']['input'];
  kind: NotificationKind;
};


export type MutationSetProjectPriorityFactorArgs = {
  priorityFactor: Scalars['Float']['input'];
  projectId: Scalars['ID']['input'];
};


export type MutationSetWebhookKindsArgs = {
  id: Scalars['ID']['input'];
  kinds: Array<NotificationKind>;
};


export type MutationSetWorkerPoolSizeArgs = {
  desiredSize: Scalars['Int']['input'];
  id: Scalars['ID']['input'];
};


export type MutationSubmitRequestArgs = {
  input: SubmitRequestInput;
};


export type MutationUpdateAllocationArgs = {
  input: UpdateAllocationInput;
};


export type MutationUpdateSiteArgs = {
  input: UpdateSiteInput;
};

/** what RunInstances asks for on the site network; unset: the site default */
export type NetworkSettings = {
  __typename?: 'NetworkSettings';
  /** ask for a public address (null: the subnet default) */
  associatePublicIp?: Maybe<Scalars['Boolean']['output']>;
  keyName?: Maybe<Scalars['String']['output']>;
  securityGroupIds: Array<Scalars['String']['output']>;
  subnetId?: Maybe<Scalars['String']['output']>;
};

export type NetworkSettingsInput = {
  /** needs subnetId */
  associatePublicIp?: InputMaybe<Scalars['Boolean']['input']>;
  keyName?: InputMaybe<Scalars['String']['input']>;
  securityGroupIds?: InputMaybe<Array<Scalars['String']['input']>>;
  subnetId?: InputMaybe<Scalars['String']['input']>;
};

export type Notification = {
  __typename?: 'Notification';
  at: Scalars['DateTime']['output'];
  details: Scalars['JSONObject']['output'];
  /** the Skypool-Event-Id its webhook deliveries carry */
  id: Scalars['ID']['output'];
  institution?: Maybe<Scalars['String']['output']>;
  kind: NotificationKind;
  projectId?: Maybe<Scalars['ID']['output']>;
  subject: Scalars['String']['output'];
};

/** BUDGET_50/80/100: that share of an allocation's budget is used; ALLOCATION_ENDING (SKYPOOL_ALLOCATION_WARNING_DAYS before) and ALLOCATION_ENDED; LEASE_ENDING; REQUEST_FAILED; SITE_DOWN (to its institution) */
export type NotificationKind =
  | 'ALLOCATION_ENDED'
  | 'ALLOCATION_ENDING'
  | 'BUDGET_50'
  | 'BUDGET_80'
  | 'BUDGET_100'
  | 'LEASE_ENDING'
  | 'REQUEST_FAILED'
  | 'SITE_DOWN';

/** whether a kind of notification is in your e-mail digest */
export type NotificationPreference = {
  __typename?: 'NotificationPreference';
  email: Scalars['Boolean']['output'];
  kind: NotificationKind;
};

export type PlanCandidate = {
  __typename?: 'PlanCandidate';
  /** on the unused home share of another institution's site */
  borrowed: Scalars['Boolean']['output'];
  /** instances that would start there */
  count: Scalars['Int']['output'];
  instanceType: Scalars['String']['output'];
  rank: Scalars['Int']['output'];
  site: Site;
};

export type Project = {
  __typename?: 'Project';
  allocations: Array<Allocation>;
  id: Scalars['ID']['output'];
  institution: Scalars['String']['output'];
  members: Array<ProjectMember>;
  name: Scalars['String']['output'];
  /** newest first */
  requests: Array<ResourceRequest>;
  /** limits, what is in use, the budget left and the usage so far */
  usage: ProjectUsage;
};


export type ProjectRequestsArgs = {
  after?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  states?: InputMaybe<Array<RequestState>>;
};

export type ProjectMember = {
  __typename?: 'ProjectMember';
  role: Role;
  /** 'manual' (added by a manager or admin) or 'claims' (from the identity provider at login) */
  source: Scalars['String']['output'];
  user: User;
};

/** a project's limits, what it uses, its budget left and its usage so far */
export type ProjectUsage = {
  __typename?: 'ProjectUsage';
  /** budget of the allocations in force less what was charged; null: unlimited */
  coreHoursLeft?: Maybe<Scalars['Float']['output']>;
  /** what running leases will still cost if they run to the end */
  coreHoursPromised: Scalars['Float']['output'];
  /** charged so far, all time */
  coreHoursUsed: Scalars['Float']['output'];
  /** core-hours used, decayed with the fair-share half-life; lower goes first */
  fairShareUsage: Scalars['Float']['output'];
  gpuHoursLeft?: Maybe<Scalars['Float']['output']>;
  gpuHoursPromised: Scalars['Float']['output'];
  gpuHoursUsed: Scalars['Float']['output'];
  /** what its instances hold now */
  inUse: ResourceAmounts;
  /** the allocations in force, added up */
  limits: ResourceAmounts;
  /** HTCondor-style: 2 gets half the share of 1 */
  priorityFactor: Scalars['Float']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** the last allocator cycle's figures (any broker process's) */
  allocatorStatus: AllocatorStatus;
  /** the tokens you made (federation admins: all); never their values */
  apiTokens: Array<ApiToken>;
  /** administrative changes, newest first (federation admins only) */
  auditEvents: Array<AuditEvent>;
  /** each institution's lent and borrowed core-hours in [from, to): what keeps a pool of lenders honest */
  federationBalance: Array<InstitutionBalance>;
  /** who you are, your roles and your projects */
  me: Me;
  /** which kinds are in your e-mail digest (a person signed in) */
  notificationPreferences: Array<NotificationPreference>;
  /** recent notifications of the projects you may see and the institutions you administer, newest first */
  notifications: Array<Notification>;
  /** dry run: what would happen to this request now */
  planRequest: RequestPlan;
  /** the projects you may see */
  projects: Array<Project>;
  resourceRequest?: Maybe<ResourceRequest>;
  /** newest first */
  resourceRequests: Array<ResourceRequest>;
  site?: Maybe<Site>;
  /** the sites of the federation; removed ones only when asked for */
  sites: Array<Site>;
  /** charged usage in [from, to) from the ledger, per group: your projects' usage, and as a site admin what ran at your institution's sites (federation admins: everything) */
  usageReport: Array<UsageRow>;
  /** a project's webhooks, or an institution's */
  webhooks: Array<Webhook>;
  workerPool?: Maybe<WorkerPool>;
  /** the project's pools (without projectId: those of every project you may see); deleted ones are left out */
  workerPools: Array<WorkerPool>;
};


export type QueryAuditEventsArgs = {
  action?: InputMaybe<Scalars['String']['input']>;
  after?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryFederationBalanceArgs = {
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};


export type QueryNotificationsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryPlanRequestArgs = {
  input: SubmitRequestInput;
};


export type QueryResourceRequestArgs = {
  id: Scalars['ID']['input'];
};


export type QueryResourceRequestsArgs = {
  after?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
  states?: InputMaybe<Array<RequestState>>;
  tags?: InputMaybe<Array<TagInput>>;
};


export type QuerySiteArgs = {
  id: Scalars['ID']['input'];
};


export type QuerySitesArgs = {
  includeRemoved?: Scalars['Boolean']['input'];
};


export type QueryUsageReportArgs = {
  from: Scalars['DateTime']['input'];
  groupBy: Array<UsageGrouping>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
  to: Scalars['DateTime']['input'];
};


export type QueryWebhooksArgs = {
  institution?: InputMaybe<Scalars['String']['input']>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryWorkerPoolArgs = {
  id: Scalars['ID']['input'];
};


export type QueryWorkerPoolsArgs = {
  projectId?: InputMaybe<Scalars['ID']['input']>;
};

export type QuotaExceededError = UserError & {
  __typename?: 'QuotaExceededError';
  allowed: Scalars['Float']['output'];
  code: Scalars['String']['output'];
  /** which limit: vcpus, memoryMiB, gpus, instances or coreHours */
  limit: Scalars['String']['output'];
  message: Scalars['String']['output'];
  requested: Scalars['Float']['output'];
};

/** one of the project's limits, with what this request would add */
export type QuotaUse = {
  __typename?: 'QuotaUse';
  /** null: unlimited */
  allowed?: Maybe<Scalars['Float']['output']>;
  /** in use now (for budgets: charged plus promised to running leases) */
  inUse: Scalars['Float']['output'];
  /** vcpus, memoryMiB, gpus, instances, coreHours or gpuHours */
  limit: Scalars['String']['output'];
  requested: Scalars['Float']['output'];
};

export type RegisterSiteInput = {
  accessKeyId: Scalars['String']['input'];
  availabilityZones?: InputMaybe<Array<Scalars['String']['input']>>;
  /** what the site lends to the federation */
  capacity: CapacityInput;
  /** the site's EC2-compatible endpoint URL */
  endpoint: Scalars['String']['input'];
  /** 0..1 of capacity reserved for the site's own institution; default 0 */
  homeShare?: InputMaybe<Scalars['Float']['input']>;
  /** logical image name -> the site's image id */
  images: Array<ImageMappingInput>;
  instanceTypes: Array<InstanceTypeInput>;
  institution: Scalars['String']['input'];
  labels?: InputMaybe<Array<SiteLabelInput>>;
  /** lend the unused home share to other institutions; default false */
  lendsHomeShare?: InputMaybe<Scalars['Boolean']['input']>;
  /** unique, [a-z0-9-]{2,63} */
  name: Scalars['String']['input'];
  network?: InputMaybe<NetworkSettingsInput>;
  region: Scalars['String']['input'];
  /** write-only: never readable again */
  secretAccessKey: Scalars['String']['input'];
  /** default ON_CREATE */
  tagMode?: InputMaybe<TagMode>;
};

export type RegisterWebhookInput = {
  /** the institution whose sites' and projects' notifications it hears */
  institution?: InputMaybe<Scalars['String']['input']>;
  /** the kinds it is sent (default: all) */
  kinds?: InputMaybe<Array<NotificationKind>>;
  /** the project whose notifications it hears (or give institution) */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** http(s) URL that notifications are POSTed to, as JSON, signed (Skypool-Signature) */
  url: Scalars['String']['input'];
};

/** one step in a request's history: a state change of the request or of one of its instances, or a notice */
export type RequestEvent = {
  __typename?: 'RequestEvent';
  at: Scalars['DateTime']['output'];
  /** for state changes: the state before (none for the first, PENDING) */
  fromState?: Maybe<Scalars['String']['output']>;
  /** for INSTANCE_STATE: which instance */
  instanceId?: Maybe<Scalars['ID']['output']>;
  /** REQUEST_STATE, INSTANCE_STATE, or a notice: LEASE_ENDING, LEASE_EXTENDED, NOTE (added with addRequestNote) */
  kind: Scalars['String']['output'];
  /** why, in words */
  reason?: Maybe<Scalars['String']['output']>;
  reasonCode?: Maybe<Scalars['String']['output']>;
  /** for INSTANCE_STATE: where the instance is */
  site?: Maybe<Site>;
  /** for state changes: the state after */
  toState?: Maybe<Scalars['String']['output']>;
};

export type RequestPlan = {
  __typename?: 'RequestPlan';
  /** the limit that binds: the one this request would exceed, or else the one it leaves least of */
  bindingLimit?: Maybe<Scalars['String']['output']>;
  /** in rank order */
  candidates: Array<PlanCandidate>;
  estimatedCoreHours: Scalars['Float']['output'];
  estimatedGpuHours: Scalars['Float']['output'];
  /** every site: those that fit first, in rank order */
  explain: Array<SiteVerdict>;
  /** false only when it could never run as asked (it would be refused) */
  feasible: Scalars['Boolean']['output'];
  /** the project's limits and budgets with what this request would add */
  quota: Array<QuotaUse>;
  /** what would hold it, in words */
  reason?: Maybe<Scalars['String']['output']>;
  /** what would hold it, as a code (QUOTA, BUDGET, NO_IMAGE, SITE_CAPACITY, HOME_SHARE, ...) */
  reasonCode?: Maybe<Scalars['String']['output']>;
};

export type RequestState =
  | 'CANCELLED'
  | 'EXPIRED'
  | 'FAILED'
  | 'PENDING'
  | 'PROVISIONING'
  | 'QUEUED'
  | 'RUNNING'
  | 'TERMINATED'
  | 'TERMINATING';

export type ResourceAmounts = {
  __typename?: 'ResourceAmounts';
  gpus: Scalars['Int']['output'];
  /** null: no limit on the count */
  instances?: Maybe<Scalars['Int']['output']>;
  memoryMiB: Scalars['Int']['output'];
  vcpus: Scalars['Int']['output'];
};

export type ResourceRequest = {
  __typename?: 'ResourceRequest';
  count: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** its history, oldest first: state changes of the request and its instances, and notices */
  events: Array<RequestEvent>;
  /** while it waits for placement: how each site stands for it, those that fit first (like condor_q -better-analyze) */
  explain: Array<SiteVerdict>;
  gpus: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
  image: Scalars['String']['output'];
  instances: Array<Instance>;
  leaseEndsAt?: Maybe<Scalars['DateTime']['output']>;
  leaseHours: Scalars['Float']['output'];
  memoryMiB: Scalars['Int']['output'];
  minCount: Scalars['Int']['output'];
  preferredSites: Array<Scalars['String']['output']>;
  project: Project;
  /** why it waits or failed, in words */
  reason?: Maybe<Scalars['String']['output']>;
  /** e.g. QUOTA, BUDGET, NO_IMAGE, SITE_CAPACITY, SITE_TIMEOUT, NODE_DISAPPEARED, AUTH_FAILED */
  reasonCode?: Maybe<Scalars['String']['output']>;
  /** site labels required, key=value or key */
  requirements: Array<Scalars['String']['output']>;
  /** allowed sites; null: any */
  sites?: Maybe<Array<Scalars['String']['output']>>;
  spanSites: Scalars['Boolean']['output'];
  state: RequestState;
  /** sorted by key */
  tags: Array<Tag>;
  vcpus: Scalars['Int']['output'];
};

export type Role =
  | 'FEDERATION_ADMIN'
  | 'PROJECT_MANAGER'
  | 'RESEARCHER'
  | 'SITE_ADMIN';

/** A role held in a scope: a project, an institution, or the whole federation */
export type RoleGrant = {
  __typename?: 'RoleGrant';
  institution?: Maybe<Scalars['String']['output']>;
  project?: Maybe<Project>;
  role: Role;
};

/** An institution's EC2-compatible cloud, lending capacity to the federation */
export type Site = {
  __typename?: 'Site';
  /** the zones the site is expected to offer (checked by the health probe) */
  availabilityZones: Array<Scalars['String']['output']>;
  /** what the site lends to the federation */
  capacity: Capacity;
  /** draining: no new placements; running leases finish */
  draining: Scalars['Boolean']['output'];
  drainingSince?: Maybe<Scalars['DateTime']['output']>;
  /** served by the bundled site emulator */
  emulated: Scalars['Boolean']['output'];
  endpoint: Scalars['String']['output'];
  health: SiteHealth;
  healthReport: SiteHealthReport;
  /** share of capacity reserved for the site's own institution */
  homeShare: Scalars['Float']['output'];
  id: Scalars['ID']['output'];
  images: Array<ImageMapping>;
  instanceTypes: Array<InstanceType>;
  institution: Scalars['String']['output'];
  labels: Array<SiteLabel>;
  /** whether other institutions may borrow the home share while it is unused */
  lendsHomeShare: Scalars['Boolean']['output'];
  name: Scalars['String']['output'];
  network: NetworkSettings;
  region: Scalars['String']['output'];
  /** removed from the federation (kept for the history of its instances) */
  removedAt?: Maybe<Scalars['DateTime']['output']>;
  /** tags in RunInstances, or by CreateTags after it (clouds without TagSpecifications) */
  tagMode: TagMode;
};

export type SiteChange = {
  __typename?: 'SiteChange';
  action: SiteChangeAction;
  /** the settings that differ (secrets by name only) */
  fields: Array<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  /** the site as it is now (null for a site a dry run would create) */
  site?: Maybe<Site>;
};

export type SiteChangeAction =
  | 'CREATE'
  | 'UNCHANGED'
  | 'UPDATE';

/** one site descriptor, as `skypool sites apply` reads it from a YAML file */
export type SiteDescriptorInput = {
  accessKeyId: Scalars['String']['input'];
  /** the env:NAME or file:PATH reference accessKeyId was read from; the audit log keeps it instead of the value */
  accessKeyIdReference?: InputMaybe<Scalars['String']['input']>;
  availabilityZones?: InputMaybe<Array<Scalars['String']['input']>>;
  /** what the site lends to the federation */
  capacity: CapacityInput;
  /** the site's EC2-compatible endpoint URL */
  endpoint: Scalars['String']['input'];
  /** the file it came from, for messages */
  file?: InputMaybe<Scalars['String']['input']>;
  /** 0..1 of capacity reserved for the site's own institution; default 0 */
  homeShare?: InputMaybe<Scalars['Float']['input']>;
  /** logical image name -> the site's image id */
  images: Array<ImageMappingInput>;
  instanceTypes: Array<InstanceTypeInput>;
  institution: Scalars['String']['input'];
  labels?: InputMaybe<Array<SiteLabelInput>>;
  /** lend the unused home share to other institutions; default false */
  lendsHomeShare?: InputMaybe<Scalars['Boolean']['input']>;
  /** unique, [a-z0-9-]{2,63} */
  name: Scalars['String']['input'];
  network?: InputMaybe<NetworkSettingsInput>;
  region: Scalars['String']['input'];
  /** write-only: never readable again */
  secretAccessKey: Scalars['String']['input'];
  /** default ON_CREATE */
  tagMode?: InputMaybe<TagMode>;
};

export type SiteHealth =
  | 'DEGRADED'
  | 'DOWN'
  | 'HEALTHY'
  | 'UNKNOWN';

/** the last probe or call to the site and what it showed */
export type SiteHealthReport = {
  __typename?: 'SiteHealthReport';
  checkedAt?: Maybe<Scalars['DateTime']['output']>;
  /** DOWN: the allocator places nothing here until a probe succeeds */
  circuitOpen: Scalars['Boolean']['output'];
  consecutiveFailures: Scalars['Int']['output'];
  /** what went wrong last, or why the site is DEGRADED; the site's own error text only for its institution's site admins and federation admins */
  lastError?: Maybe<Scalars['String']['output']>;
  /** when the site sends replies the broker cannot read: the last one, in words */
  lastMalformedReply?: Maybe<Scalars['String']['output']>;
  lastMalformedReplyAt?: Maybe<Scalars['DateTime']['output']>;
  /** latency of the last successful probe */
  latencyMs?: Maybe<Scalars['Int']['output']>;
  /** successful answers the broker could not read (HTTP 200 in an EC2 dialect the SDK does not parse); not counted as failures: what they did is looked up */
  malformedReplies: Scalars['Int']['output'];
  /** when the site entered this state */
  since: Scalars['DateTime']['output'];
  state: SiteHealth;
};

/** e.g. gpu=a100 or network=infiniband; requests can require labels */
export type SiteLabel = {
  __typename?: 'SiteLabel';
  key: Scalars['String']['output'];
  value: Scalars['String']['output'];
};

export type SiteLabelInput = {
  key: Scalars['String']['input'];
  value: Scalars['String']['input'];
};

/** how one site stands for a request, like condor_q -better-analyze */
export type SiteVerdict = {
  __typename?: 'SiteVerdict';
  /** of those, how many on borrowed home share */
  borrowed: Scalars['Int']['output'];
  /** instances that would start there now */
  fits: Scalars['Int']['output'];
  /** the instance type the site would use */
  instanceType?: Maybe<Scalars['String']['output']>;
  /** in words */
  reason: Scalars['String']['output'];
  site: Site;
  /** FITS, or the first filter the site failed: NOT_ALLOWED, NO_IMAGE, NO_INSTANCE_TYPE, MISSING_LABEL, SITE_DOWN, SITE_DRAINING, COOL_DOWN, QUOTA, BUDGET, SITE_CAPACITY, HOME_SHARE, RESERVED (it holds the room for a gang that has waited longest) */
  verdict: Scalars['String']['output'];
};

export type SitesApplyResult = {
  __typename?: 'SitesApplyResult';
  changes: Array<SiteChange>;
  dryRun: Scalars['Boolean']['output'];
};

export type SubmitRequestInput = {
  /** wanted instances (default 1) */
  count?: InputMaybe<Scalars['Int']['input']>;
  /** per instance, at least */
  gpus?: InputMaybe<Scalars['Int']['input']>;
  /** the same key from the same principal returns the same request */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** logical image name */
  image: Scalars['String']['input'];
  leaseHours: Scalars['Float']['input'];
  /** per instance, at least */
  memoryMiB: Scalars['Int']['input'];
  /** gang: start nothing until at least this many can start together (default count) */
  minCount?: InputMaybe<Scalars['Int']['input']>;
  /** sites to rank first among equally good ones, in this order */
  preferredSites?: InputMaybe<Array<Scalars['String']['input']>>;
  projectId: Scalars['ID']['input'];
  /** site labels the sites must have: key=value, or key for any value (e.g. gpu=a100) */
  requirements?: InputMaybe<Array<Scalars['String']['input']>>;
  /** allowed sites by name; unset = any */
  sites?: InputMaybe<Array<Scalars['String']['input']>>;
  /** may its instances be spread over several sites (default false) */
  spanSites?: InputMaybe<Scalars['Boolean']['input']>;
  /** injected for the default user (merged into the cloud-init) */
  sshPublicKey?: InputMaybe<Scalars['String']['input']>;
  /** labels of yours, copied onto its instances at the site (at most 10) */
  tags?: InputMaybe<Array<TagInput>>;
  /** cloud-init, passed to the site */
  userData?: InputMaybe<Scalars['String']['input']>;
  /** per instance, at least */
  vcpus: Scalars['Int']['input'];
};

export type SubmitRequestResult = InvalidRequestError | QuotaExceededError | ResourceRequest;

export type Subscription = {
  __typename?: 'Subscription';
  /** the request as it is now, then again after each change (read fresh; changes close together may arrive as one); it completes after a final state */
  requestUpdated: ResourceRequest;
};


export type SubscriptionRequestUpdatedArgs = {
  id: Scalars['ID']['input'];
};

/** a label of the submitter, copied onto the instances at the site */
export type Tag = {
  __typename?: 'Tag';
  key: Scalars['String']['output'];
  value: Scalars['String']['output'];
};

export type TagInput = {
  /** 1-128 letters, digits, spaces and _.:/=+-@; keys starting with skypool: or aws: are reserved */
  key: Scalars['String']['input'];
  /** up to 256 characters, no control characters */
  value: Scalars['String']['input'];
};

export type TagMode =
  | 'AFTER_CREATE'
  | 'ON_CREATE';

/** what is left out stays; null clears (a budget becomes unlimited, an end date none) */
export type UpdateAllocationInput = {
  coreHours?: InputMaybe<Scalars['Float']['input']>;
  endsAt?: InputMaybe<Scalars['DateTime']['input']>;
  gpuHours?: InputMaybe<Scalars['Float']['input']>;
  gpus?: InputMaybe<Scalars['Int']['input']>;
  id: Scalars['ID']['input'];
  instances?: InputMaybe<Scalars['Int']['input']>;
  memoryMiB?: InputMaybe<Scalars['Int']['input']>;
  startsAt?: InputMaybe<Scalars['DateTime']['input']>;
  terminateAfterMinutes?: InputMaybe<Scalars['Int']['input']>;
  vcpus?: InputMaybe<Scalars['Int']['input']>;
};

/** the settings to change; what is left out stays as it is. The name cannot change. */
export type UpdateSiteInput = {
  accessKeyId?: InputMaybe<Scalars['String']['input']>;
  availabilityZones?: InputMaybe<Array<Scalars['String']['input']>>;
  /** what the site lends to the federation */
  capacity?: InputMaybe<CapacityInput>;
  /** the site's EC2-compatible endpoint URL */
  endpoint?: InputMaybe<Scalars['String']['input']>;
  /** 0..1 of capacity reserved for the site's own institution; default 0 */
  homeShare?: InputMaybe<Scalars['Float']['input']>;
  id: Scalars['ID']['input'];
  /** logical image name -> the site's image id */
  images?: InputMaybe<Array<ImageMappingInput>>;
  instanceTypes?: InputMaybe<Array<InstanceTypeInput>>;
  institution?: InputMaybe<Scalars['String']['input']>;
  labels?: InputMaybe<Array<SiteLabelInput>>;
  /** lend the unused home share to other institutions; default false */
  lendsHomeShare?: InputMaybe<Scalars['Boolean']['input']>;
  network?: InputMaybe<NetworkSettingsInput>;
  region?: InputMaybe<Scalars['String']['input']>;
  /** write-only: never readable again */
  secretAccessKey?: InputMaybe<Scalars['String']['input']>;
  /** default ON_CREATE */
  tagMode?: InputMaybe<TagMode>;
};

/** what a usage report's rows are per; INSTITUTION is the project's institution (who used it) */
export type UsageGrouping =
  | 'IMAGE'
  | 'INSTANCE_TYPE'
  | 'INSTITUTION'
  | 'MONTH'
  | 'PROJECT'
  | 'SITE';

/** charged usage of one group in the period: the minutes that started inside it (per started minute, as budgets are charged) */
export type UsageRow = {
  __typename?: 'UsageRow';
  /** vCPU-hours */
  coreHours: Scalars['Float']['output'];
  gpuHours: Scalars['Float']['output'];
  image?: Maybe<Scalars['String']['output']>;
  /** hours of instances, whatever their size */
  instanceHours: Scalars['Float']['output'];
  instanceType?: Maybe<Scalars['String']['output']>;
  /** instances that ran in the period */
  instances: Scalars['Int']['output'];
  /** the project's institution (grouped by INSTITUTION) */
  institution?: Maybe<Scalars['String']['output']>;
  /** YYYY-MM, UTC (grouped by MONTH) */
  month?: Maybe<Scalars['String']['output']>;
  /** grouped by PROJECT: the project, when you may see it (a site admin sees other institutions' usage of their sites by projectName only) */
  project?: Maybe<Project>;
  /** grouped by PROJECT: its name */
  projectName?: Maybe<Scalars['String']['output']>;
  /** grouped by SITE */
  site?: Maybe<Site>;
};

/** A person who has logged in through an identity provider */
export type User = {
  __typename?: 'User';
  displayName?: Maybe<Scalars['String']['output']>;
  email?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
};

/** An expected outcome the caller can act on */
export type UserError = {
  code: Scalars['String']['output'];
  message: Scalars['String']['output'];
};

export type Webhook = {
  __typename?: 'Webhook';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  institution?: Maybe<Scalars['String']['output']>;
  /** the kinds it is sent; the others are turned off */
  kinds: Array<NotificationKind>;
  projectId?: Maybe<Scalars['ID']['output']>;
  url: Scalars['String']['output'];
};

export type WebhookRegistration = {
  __typename?: 'WebhookRegistration';
  /** the HMAC-SHA256 key of its signatures: shown only now, keep it with the receiver */
  secret: Scalars['String']['output'];
  webhook: Webhook;
};

/** keeps desiredSize members running: replaces those that fail or vanish, ends the newest first when it shrinks */
export type WorkerPool = {
  __typename?: 'WorkerPool';
  createdAt: Scalars['DateTime']['output'];
  desiredSize: Scalars['Int']['output'];
  gpus: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
  image: Scalars['String']['output'];
  leaseHours: Scalars['Float']['output'];
  maxSize: Scalars['Int']['output'];
  /** the requests that count as members now (waiting, starting or running), newest first */
  members: Array<ResourceRequest>;
  memoryMiB: Scalars['Int']['output'];
  minSize: Scalars['Int']['output'];
  name: Scalars['String']['output'];
  project: Project;
  /** why fewer than desiredSize run, in words (null when none are missing) */
  reason?: Maybe<Scalars['String']['output']>;
  /** members RUNNING now */
  running: Scalars['Int']['output'];
  /** ACTIVE, or DELETED (its members ended) */
  state: Scalars['String']['output'];
  vcpus: Scalars['Int']['output'];
};
