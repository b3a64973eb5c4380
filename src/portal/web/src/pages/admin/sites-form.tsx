import { useId, useState, type ReactNode } from 'react';
import { Button, FieldError, Form, Input, Label, Text, TextArea, TextField } from 'react-aria-components';
import { useMutation } from 'urql';
import { describeError, fieldOf } from '../../api/client';
import { AdminRegisterSiteDocument, AdminUpdateSiteDocument, type AdminSiteFragment, type NetworkSettingsInput, type RegisterSiteInput, type TagMode, type UpdateSiteInput } from '../../api/generated';
import { Problem } from '../../components/status';
import { parseCount, parseMemory } from '../../format';
import { exactMemory, formatImages, formatInstanceTypes, formatLabels, formatShare, parseImages, parseInstanceTypes, parseLabels, parseList, parseShare } from './sites-settings';

interface Fields {
  name: string;
  institution: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  vcpus: string;
  memory: string;
  gpus: string;
  instances: string;
  homeShare: string;
  lendsHomeShare: boolean;
  zones: string;
  instanceTypes: string;
  images: string;
  labels: string;
  securityGroups: string;
  subnetId: string;
  keyName: string;
  publicIp: '' | 'yes' | 'no';
  tagMode: TagMode;
}
type Name = keyof Fields;
type Errors = Partial<Record<Name, string>>;

const EMPTY: Fields = {
  name: '', institution: '', endpoint: '', region: '', accessKeyId: '', secretAccessKey: '', vcpus: '', memory: '', gpus: '0', instances: '',
  homeShare: '0', lendsHomeShare: false, zones: '', instanceTypes: '', images: '', labels: '', securityGroups: '', subnetId: '', keyName: '', publicIp: '', tagMode: 'ON_CREATE',
};

function fieldsOf(site: AdminSiteFragment): Fields {
  const n = site.network;
  return {
    name: site.name,
    institution: site.institution,
    endpoint: site.endpoint,
    region: site.region,
    accessKeyId: '',
    secretAccessKey: '',
    vcpus: String(site.capacity.vcpus),
    memory: exactMemory(site.capacity.memoryMiB),
    gpus: String(site.capacity.gpus),
    instances: site.capacity.instances == null ? '' : String(site.capacity.instances),
    homeShare: formatShare(site.homeShare),
    lendsHomeShare: site.lendsHomeShare,
    zones: site.availabilityZones.join(', '),
    instanceTypes: formatInstanceTypes(site.instanceTypes),
    images: formatImages(site.images),
    labels: formatLabels(site.labels),
    securityGroups: n.securityGroupIds.join(', '),
    subnetId: n.subnetId ?? '',
    keyName: n.keyName ?? '',
    publicIp: n.associatePublicIp == null ? '' : n.associatePublicIp ? 'yes' : 'no',
    tagMode: site.tagMode,
  };
}

/** The settings the form holds, as the API takes them, or what is wrong with them per field. */
function readFields(f: Fields, credentialsRequired: boolean): { settings?: Omit<RegisterSiteInput, 'name'>; errors: Errors } {
  const errors: Errors = {};
  const required = (name: Name, value: string) => {
    if (!value.trim()) errors[name] = 'required';
  };
  required('institution', f.institution);
  required('endpoint', f.endpoint);
  required('region', f.region);
  if (credentialsRequired) {
    required('accessKeyId', f.accessKeyId);
    required('secretAccessKey', f.secretAccessKey);
  } else if (!f.accessKeyId.trim() !== !f.secretAccessKey) {
    errors[f.accessKeyId.trim() ? 'secretAccessKey' : 'accessKeyId'] = 'give the access key id and the secret together, or neither to keep them';
  }
  const vcpus = parseCount(f.vcpus);
  const memoryMiB = parseMemory(f.memory);
  const gpus = f.gpus.trim() ? parseCount(f.gpus) : 0;
  const instances = f.instances.trim() ? parseCount(f.instances) : null;
  const homeShare = parseShare(f.homeShare || '0');
  if (vcpus === undefined) errors.vcpus = 'a whole number of vCPUs';
  if (memoryMiB === undefined) errors.memory = 'MiB, or a number with a unit: 524288, 512 GiB, 1 TiB';
  if (gpus === undefined) errors.gpus = 'a whole number of GPUs (0 for none)';
  if (instances === undefined) errors.instances = 'a whole number of instances, or empty for any number';
  if (homeShare === undefined) errors.homeShare = 'a share from 0 to 1, or a percentage: 0.25 or 25 %';
  const instanceTypes = parseInstanceTypes(f.instanceTypes);
  const images = parseImages(f.images);
  const labels = parseLabels(f.labels);
  if (instanceTypes.error) errors.instanceTypes = instanceTypes.error;
  if (images.error) errors.images = images.error;
  if (labels.error) errors.labels = labels.error;
  if (Object.keys(errors).length > 0) return { errors };
  const network: NetworkSettingsInput = {
    securityGroupIds: parseList(f.securityGroups),
    subnetId: f.subnetId.trim() || null,
    keyName: f.keyName.trim() || null,
    associatePublicIp: f.publicIp === '' ? null : f.publicIp === 'yes',
  };
  return {
    errors,
    settings: {
      institution: f.institution.trim(),
      endpoint: f.endpoint.trim(),
      region: f.region.trim(),
      accessKeyId: f.accessKeyId.trim(),
      secretAccessKey: f.secretAccessKey,
      capacity: { vcpus: vcpus!, memoryMiB: memoryMiB!, gpus: gpus!, instances: instances ?? null },
      homeShare: homeShare!,
      lendsHomeShare: f.lendsHomeShare,
      availabilityZones: parseList(f.zones),
      instanceTypes: instanceTypes.value!,
      images: images.value!,
      labels: labels.value!,
      network,
      tagMode: f.tagMode,
    },
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const byKey = <T extends { key: string }>(list: readonly T[]) => [...list].sort((x, y) => x.key.localeCompare(y.key)).map(({ key, ...rest }) => ({ key, ...rest }));

/** What the form changes of a site: only those settings (updateSite keeps what is left out). */
function changesOf(site: AdminSiteFragment, s: Omit<RegisterSiteInput, 'name'>): Omit<UpdateSiteInput, 'id'> {
  const patch: Omit<UpdateSiteInput, 'id'> = {};
  if (s.institution !== site.institution) patch.institution = s.institution;
  if (s.endpoint !== site.endpoint) patch.endpoint = s.endpoint;
  if (s.region !== site.region) patch.region = s.region;
  if (s.accessKeyId) patch.accessKeyId = s.accessKeyId;
  if (s.secretAccessKey) patch.secretAccessKey = s.secretAccessKey;
  const { vcpus, memoryMiB, gpus, instances } = site.capacity;
  if (!same(s.capacity, { vcpus, memoryMiB, gpus, instances })) patch.capacity = s.capacity;
  if (s.homeShare !== site.homeShare) patch.homeShare = s.homeShare;
  if (s.lendsHomeShare !== site.lendsHomeShare) patch.lendsHomeShare = s.lendsHomeShare;
  if (!same(s.availabilityZones, site.availabilityZones)) patch.availabilityZones = s.availabilityZones;
  if (!same(s.instanceTypes, site.instanceTypes.map(({ name, vcpus, memoryMiB, gpus }) => ({ name, vcpus, memoryMiB, gpus })))) patch.instanceTypes = s.instanceTypes;
  if (!same(s.images, site.images.map(({ image, imageId }) => ({ image, imageId })))) patch.images = s.images;
  if (!same(byKey(s.labels ?? []), byKey(site.labels.map(({ key, value }) => ({ key, value }))))) patch.labels = s.labels;
  const n = site.network;
  if (!same(s.network, { securityGroupIds: n.securityGroupIds, subnetId: n.subnetId, keyName: n.keyName, associatePublicIp: n.associatePublicIp })) patch.network = s.network;
  if (s.tagMode !== site.tagMode) patch.tagMode = s.tagMode;
  return patch;
}

/** Where the API's field names (`capacity.vcpus`, `instanceTypes[2].name`, `network.subnetId`) go on this form. */
const FIELD_OF_INPUT: [RegExp, Name][] = [
  [/^name$/, 'name'], [/^institution$/, 'institution'], [/^endpoint$/, 'endpoint'], [/^region$/, 'region'],
  [/^accessKeyId$/, 'accessKeyId'], [/^secretAccessKey$/, 'secretAccessKey'],
  [/^capacity(\.vcpus)?$/, 'vcpus'], [/^capacity\.memoryMiB$/, 'memory'], [/^capacity\.gpus$/, 'gpus'], [/^capacity\.instances$/, 'instances'],
  [/^homeShare$/, 'homeShare'], [/^lendsHomeShare$/, 'lendsHomeShare'], [/^availabilityZones/, 'zones'],
  [/^instanceTypes/, 'instanceTypes'], [/^images/, 'images'], [/^labels/, 'labels'],
  [/^network\.securityGroupIds/, 'securityGroups'], [/^network\.subnetId/, 'subnetId'], [/^network\.keyName/, 'keyName'], [/^network(\.associatePublicIp)?$/, 'publicIp'],
  [/^tagMode$/, 'tagMode'],
];

export function formFieldOf(apiField: string | undefined): Name | undefined {
  const field = apiField?.replace(/^input\./, '').replace(/^(Register|Update)SiteInput\./, '');
  return field === undefined ? undefined : FIELD_OF_INPUT.find(([pattern]) => pattern.test(field))?.[1];
}

export type SiteFormMode = { kind: 'register'; institutions: string[] | 'any' } | { kind: 'update'; site: AdminSiteFragment; institutions: string[] | 'any' };

/**
 * A site's settings: all of them to register a new site, or the ones to change of an existing one
 * (the form starts from its settings and sends only what differs; credentials only when given).
 * What is wrong is shown next to its field, the API's refusals too.
 */
export function SiteForm({ mode, onDone }: { mode: SiteFormMode; onDone: (site: AdminSiteFragment) => void }) {
  const updating = mode.kind === 'update';
  const firstInstitution = mode.institutions === 'any' ? '' : (mode.institutions[0] ?? '');
  const [fields, setFields] = useState<Fields>(() => (updating ? fieldsOf(mode.site) : { ...EMPTY, institution: firstInstitution }));
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<{ field?: Name; message: string }>();
  const [unchanged, setUnchanged] = useState(false);
  const [registration, register] = useMutation(AdminRegisterSiteDocument);
  const [update, save] = useMutation(AdminUpdateSiteDocument);
  const fetching = registration.fetching || update.fetching;
  const set =
    <K extends Name>(name: K) =>
    (value: Fields[K]) => {
      setFields((f) => ({ ...f, [name]: value }));
      setRefusal(undefined);
      setUnchanged(false);
    };
  const read = readFields(fields, !updating);
  if (!updating && !fields.name.trim()) read.errors.name = 'required';
  const errorOf = (name: Name) => (refusal?.field === name ? refusal.message : touched ? read.errors[name] : undefined);

  const onSubmit = async () => {
    setTouched(true);
    if (!read.settings || Object.keys(read.errors).length > 0) return;
    const outcome = updating
      ? await (async () => {
          const patch = changesOf(mode.site, read.settings!);
          if (Object.keys(patch).length === 0) {
            setUnchanged(true);
            return undefined;
          }
          const result = await save({ input: { id: mode.site.id, ...patch } });
          return { error: result.error, site: result.data?.updateSite };
        })()
      : await register({ input: { name: fields.name.trim(), ...read.settings } }).then((result) => ({ error: result.error, site: result.data?.registerSite }));
    if (!outcome) return;
    if (outcome.error) {
      const field = formFieldOf(fieldOf(outcome.error));
      // a refusal without a field is about who may manage the institution's sites
      const forbidden = outcome.error.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');
      setRefusal({ field: field ?? (forbidden ? 'institution' : undefined), message: describeError(outcome.error) });
      return;
    }
    if (outcome.site) {
      if (!updating) {
        setFields({ ...EMPTY, institution: firstInstitution });
        setTouched(false);
      }
      onDone(outcome.site);
    }
  };

  const text = (name: Exclude<Name, 'lendsHomeShare' | 'publicIp' | 'tagMode'>, label: string, options: { description?: string; type?: 'password' | 'url'; inputMode?: 'numeric' | 'decimal' } = {}) => (
    <TextField className="field" value={fields[name]} onChange={set(name)} isInvalid={!!errorOf(name)} type={options.type} autoComplete={options.type === 'password' ? 'new-password' : 'off'}>
      <Label>{label}</Label>
      <Input inputMode={options.inputMode} spellCheck={false} />
      {options.description && <Text slot="description">{options.description}</Text>}
      <FieldError className="field-error">{errorOf(name)}</FieldError>
    </TextField>
  );
  const lines = (name: 'instanceTypes' | 'images' | 'labels', label: string, description: string) => (
    <TextField className="field" value={fields[name]} onChange={set(name)} isInvalid={!!errorOf(name)}>
      <Label>{label}</Label>
      <TextArea rows={4} spellCheck={false} />
      <Text slot="description">{description}</Text>
      <FieldError className="field-error">{errorOf(name)}</FieldError>
    </TextField>
  );

  return (
    <Form
      className="site-form"
      validationBehavior="aria"
      onSubmit={(event) => {
        event.preventDefault();
        void onSubmit();
      }}
    >
      {!updating && text('name', 'Name', { description: '2 to 63 lower-case letters, digits or dashes; it cannot change later' })}
      {mode.institutions === 'any' ? (
        text('institution', 'Institution', { description: 'the institution whose cloud this is; its site admins manage the site' })
      ) : (
        <SelectField label="Institution" value={fields.institution} onChange={set('institution')} error={errorOf('institution')}>
          {mode.institutions.map((institution) => (
            <option key={institution} value={institution}>
              {institution}
            </option>
          ))}
        </SelectField>
      )}
      <div className="field-row">
        {text('endpoint', 'Endpoint', { description: "the site's EC2-compatible API, e.g. https://ec2.cloud.example.edu:8788/", type: 'url' })}
        {text('region', 'Region', { description: 'e.g. RegionOne or us-east-1' })}
      </div>
      <div className="field-row">
        {text('accessKeyId', 'Access key id', { description: updating ? 'empty: keep the one the broker has' : undefined })}
        {text('secretAccessKey', 'Secret access key', { type: 'password', description: updating ? 'empty: keep it; never shown again once saved' : 'never shown again once saved' })}
      </div>
      <fieldset className="site-fieldset">
        <legend>Capacity lent to the federation</legend>
        <div className="field-row">
          {text('vcpus', 'vCPUs', { inputMode: 'numeric' })}
          {text('memory', 'Memory', { description: 'MiB unless a unit is typed: 512 GiB, 1 TiB' })}
        </div>
        <div className="field-row">
          {text('gpus', 'GPUs', { inputMode: 'numeric' })}
          {text('instances', 'Instances', { inputMode: 'numeric', description: 'at most this many at once; empty: any number' })}
        </div>
      </fieldset>
      <div className="field-row">
        {text('homeShare', 'Home share', { description: "kept for the site's own institution: 0.25 or 25 %" })}
        {text('zones', 'Availability zones', { description: 'checked by the health probe; separated by commas, e.g. nova' })}
      </div>
      <CheckboxField label="Lend the unused home share to other institutions" checked={fields.lendsHomeShare} onChange={set('lendsHomeShare')} error={errorOf('lendsHomeShare')} />
      {lines('instanceTypes', 'Instance types', 'one a line: name, vCPUs, memory, GPUs (if any), e.g. m1.medium 2 4 GiB or g1.large 8 32 GiB 1')}
      {lines('images', 'Images', "one a line: the image's name as requests give it, then the site's image id, e.g. ubuntu-22.04 ami-00000042")}
      {lines('labels', 'Labels', 'one a line, key=value, e.g. gpu=a100; requests can require them')}
      <details className="site-more">
        <summary>Network and tagging</summary>
        <div className="field-row">
          {text('securityGroups', 'Security groups', { description: 'ids, separated by commas; empty: the site default' })}
          {text('subnetId', 'Subnet')}
        </div>
        <div className="field-row">
          {text('keyName', 'Key pair')}
          <SelectField label="Public address" value={fields.publicIp} onChange={(v) => set('publicIp')(v as Fields['publicIp'])} error={errorOf('publicIp')} description="asking for one needs a subnet">
            <option value="">the subnet default</option>
            <option value="yes">ask for one</option>
            <option value="no">none</option>
          </SelectField>
        </div>
        <SelectField label="Tags" value={fields.tagMode} onChange={(v) => set('tagMode')(v as TagMode)} error={errorOf('tagMode')} description="AFTER_CREATE for clouds without TagSpecifications (OpenNebula, older Eucalyptus)">
          <option value="ON_CREATE">ON_CREATE: in RunInstances</option>
          <option value="AFTER_CREATE">AFTER_CREATE: by CreateTags after it</option>
        </SelectField>
      </details>
      {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
      {touched && !read.settings && !refusal && <Problem>Some settings need another look: see the fields marked above.</Problem>}
      {unchanged && <p role="status">Nothing to save: the settings are as they were.</p>}
      <Button type="submit" className="button primary" isDisabled={fetching}>
        {updating ? 'Save settings' : 'Register site'}
      </Button>
    </Form>
  );
}

function SelectField({ label, value, onChange, error, description, children }: { label: string; value: string; onChange: (value: string) => void; error?: string; description?: string; children: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={`${id}-select`}>{label}</label>
      <select
        id={`${id}-select`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={[description && `${id}-description`, error && `${id}-error`].filter(Boolean).join(' ') || undefined}
      >
        {children}
      </select>
      {description && (
        <span id={`${id}-description`} className="hint">
          {description}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function CheckboxField({ label, checked, onChange, error }: { label: string; checked: boolean; onChange: (checked: boolean) => void; error?: string }) {
  const id = useId();
  return (
    <div className="field site-checkbox">
      <label>
        <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} /> {label}
      </label>
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
