import { useMemo, useState } from 'react';
import { Button, Form } from 'react-aria-components';
import { useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { refusalOf, type Refusal } from '../api/client';
import { ImagesDocument, ProjectsOverviewDocument, SubmitRequestDocument, type SubmitRequestInput } from '../api/generated';
import { TextArea, TextInput } from '../components/fields';
import { Problem } from '../components/status';
import { parseCount, parseMemory } from '../format';
import { useMe } from '../session';
import { useDebounced } from '../use-debounced';
import { PlanPreview } from './plan-preview';

interface Fields {
  projectId: string;
  image: string;
  vcpus: string;
  memory: string;
  count: string;
  leaseHours: string;
  minCount: string;
  sites: string;
  sshPublicKey: string;
  userData: string;
}

type Read = { input: SubmitRequestInput | undefined; errors: Partial<Record<keyof Fields, string>> };

/** The form's fields as the API's input, or what is wrong with them, per field. */
function readFields(f: Fields): Read {
  const errors: Partial<Record<keyof Fields, string>> = {};
  const vcpus = parseCount(f.vcpus);
  const memoryMiB = parseMemory(f.memory);
  const count = parseCount(f.count);
  const leaseHours = Number(f.leaseHours);
  const minCount = f.minCount.trim() ? parseCount(f.minCount) : undefined;
  if (!f.projectId) errors.projectId = 'choose a project';
  if (!f.image) errors.image = 'choose an image';
  if (!vcpus) errors.vcpus = 'a whole number of vCPUs, at least 1';
  if (!memoryMiB) errors.memory = 'MiB, or a number with a unit: 4096, 4 GiB, 512 MiB';
  if (!count) errors.count = 'a whole number of instances, at least 1';
  if (!f.leaseHours.trim() || !(leaseHours > 0)) errors.leaseHours = 'hours, more than 0';
  if (f.minCount.trim() && (!minCount || (count && minCount > count))) errors.minCount = 'a whole number, at most the number of instances';
  if (Object.keys(errors).length) return { input: undefined, errors };
  const sites = f.sites.split(/[\s,]+/).filter(Boolean);
  return {
    input: {
      projectId: f.projectId,
      image: f.image,
      vcpus: vcpus!,
      memoryMiB: memoryMiB!,
      count,
      leaseHours,
      ...(minCount ? { minCount } : {}),
      ...(sites.length ? { sites } : {}),
      ...(f.sshPublicKey.trim() ? { sshPublicKey: f.sshPublicKey.trim() } : {}),
      ...(f.userData ? { userData: f.userData } : {}),
    },
    errors: {},
  };
}

/** The fields under "More options". */
const ADVANCED_FIELDS: (keyof Fields)[] = ['minCount', 'sites', 'sshPublicKey', 'userData'];

/** Where the API's field names go on this form. */
const FIELD_OF_INPUT: Record<string, keyof Fields> = { projectId: 'projectId', image: 'image', vcpus: 'vcpus', memoryMiB: 'memory', count: 'count', leaseHours: 'leaseHours', minCount: 'minCount', sites: 'sites', sshPublicKey: 'sshPublicKey', userData: 'userData' };

/** Random enough for an idempotency key; crypto.randomUUID needs https, which a site may not have. */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export default function NewRequest() {
  const me = useMe();
  const navigate = useNavigate();
  const [{ data: images }] = useQuery({ query: ImagesDocument });
  const [{ data: overview }] = useQuery({ query: ProjectsOverviewDocument });
  const [fields, setFields] = useState<Fields>({ projectId: me.projects[0]?.id ?? '', image: '', vcpus: '2', memory: '4096', count: '1', leaseHours: '4', minCount: '', sites: '', sshPublicKey: '', userData: '' });
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<keyof Fields>>();
  const [submission, submit] = useMutation(SubmitRequestDocument);
  // one key for this form: a submission resent after a lost answer does not make a second request
  const [idempotencyKey] = useState(randomKey);
  const set = (name: keyof Fields) => (value: string) => {
    setFields((f) => ({ ...f, [name]: value }));
    setRefusal(undefined);
  };

  const imageNames = useMemo(() => [...new Set(images?.sites.flatMap((s) => s.images.map((i) => i.image)) ?? [])].sort(), [images]);
  // read again only when a field changes: the preview waits for the same input to settle
  const read = useMemo(() => readFields({ ...fields, image: fields.image || imageNames[0] || '' }), [fields, imageNames]);
  const previewInput = useDebounced(read.input, 300);
  const project = overview?.projects.find((p) => p.id === fields.projectId);

  const errorOf = (name: keyof Fields) => (refusal?.field === name ? refusal.message : touched ? read.errors[name] : undefined);

  const onSubmit = async () => {
    setTouched(true);
    if (!read.input) return;
    const outcome = await submit({ input: { ...read.input, idempotencyKey } });
    if (outcome.error) {
      setRefusal(refusalOf(outcome.error, FIELD_OF_INPUT));
      return;
    }
    const result = outcome.data?.submitRequest;
    if (result?.__typename === 'ResourceRequest') navigate(`/requests/${result.id}`);
    else if (result?.__typename === 'InvalidRequestError') setRefusal({ field: result.field ? FIELD_OF_INPUT[result.field] : undefined, message: result.message });
    else if (result?.__typename === 'QuotaExceededError') setRefusal({ field: FIELD_OF_INPUT[result.limit], message: result.message });
  };

  if (me.projects.length === 0) {
    return (
      <>
        <h1>New request</h1>
        <p>You are not a member of any project yet: ask a project manager to add you, then come back.</p>
      </>
    );
  }
  return (
    <>
      <h1>New request</h1>
      <div className="request-form">
        <Form
          onSubmit={(event) => {
            event.preventDefault();
            void onSubmit();
          }}
        >
          <label className="field">
            <span>Project</span>
            <select value={fields.projectId} onChange={(e) => set('projectId')(e.target.value)} aria-invalid={!!errorOf('projectId')} aria-describedby="projectId-error">
              {me.projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.institution})
                </option>
              ))}
            </select>
            <span id="projectId-error" className="field-error">{errorOf('projectId')}</span>
          </label>
          <label className="field">
            <span>Image</span>
            <select value={fields.image || imageNames[0] || ''} onChange={(e) => set('image')(e.target.value)} aria-invalid={!!errorOf('image')} aria-describedby="image-error">
              {imageNames.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
            <span id="image-error" className="field-error">{errorOf('image')}</span>
          </label>
          <div className="field-row">
            <TextInput label="vCPUs" value={fields.vcpus} onChange={set('vcpus')} error={errorOf('vcpus')} inputMode="numeric" />
            <TextInput label="Memory" value={fields.memory} onChange={set('memory')} error={errorOf('memory')} description="MiB, or with a unit: 8 GiB" />
          </div>
          <div className="field-row">
            <TextInput label="Instances" value={fields.count} onChange={set('count')} error={errorOf('count')} inputMode="numeric" />
            <TextInput label="Lease (hours)" value={fields.leaseHours} onChange={set('leaseHours')} error={errorOf('leaseHours')} inputMode="decimal" />
          </div>
          {/* open when what is wrong is inside */}
          <details open={ADVANCED_FIELDS.some((name) => errorOf(name)) || undefined}>
            <summary>More options</summary>
            <TextInput label="Minimum count" value={fields.minCount} onChange={set('minCount')} error={errorOf('minCount')} inputMode="numeric" description="start nothing until at least this many can start together" />
            <TextInput label="Sites" value={fields.sites} onChange={set('sites')} error={errorOf('sites')} description="only these sites, separated by commas; empty: any" />
            <TextArea label="SSH public key" value={fields.sshPublicKey} onChange={set('sshPublicKey')} error={errorOf('sshPublicKey')} />
            <TextArea label="User-data" value={fields.userData} onChange={set('userData')} error={errorOf('userData')} description="a cloud-init script or cloud-config, run at first boot" />
          </details>
          {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
          <Button type="submit" className="button primary" isDisabled={submission.fetching}>
            Submit request
          </Button>
        </Form>
        <PlanPreview input={previewInput} coreHoursLeft={project?.usage.coreHoursLeft} />
      </div>
    </>
  );
}
