import { useEffect, useRef, useState } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Modal } from 'react-aria-components';
import { Link, useSearchParams } from 'react-router';
import type { CombinedError } from '@urql/core';
import { useMutation, useQuery } from 'urql';
import { describeError, fieldOf, refusalOf, type Refusal } from '../../api/client';
import {
  AdminAddProjectMemberDocument,
  AdminCreateProjectDocument,
  AdminGrantAllocationDocument,
  AdminProjectsPageDocument,
  AdminRemoveProjectMemberDocument,
  AdminRevokeAllocationDocument,
  AdminUpdateAllocationDocument,
  type AdminAllocationFieldsFragment,
  type AdminProjectsPageQuery,
  type Role,
} from '../../api/generated';
import { ConfirmButton } from '../../components/confirm-button';
import { TextInput } from '../../components/fields';
import { DateInput, SelectField } from '../../components/plain-fields';
import { ScrollTable } from '../../components/scroll-table';
import { Loading, Problem } from '../../components/status';
import { formatHours, formatMemory, formatTime } from '../../format';
import { useMe, type Me } from '../../session';
import { allocationState, EMPTY_ALLOCATION, FIELD_OF_INPUT, fieldsOf, grantInput, readAllocation, updateInput, type AllocationField, type AllocationFields } from './allocation-form';
import './admin-forms.css';

type Project = AdminProjectsPageQuery['projects'][number];
type Member = Project['members'][number];

const hasRole = (me: Me, role: Role) => me.roles.some((grant) => grant.role === role);

/** What the caller may change in a project; the API checks each change anyway. */
function rightsIn(me: Me, project: Pick<Project, 'id' | 'institution'>) {
  const federationAdmin = hasRole(me, 'FEDERATION_ADMIN');
  const siteAdmin = me.roles.some((g) => g.role === 'SITE_ADMIN' && g.institution === project.institution);
  const manager = me.roles.some((g) => g.role === 'PROJECT_MANAGER' && (g.project?.id === project.id || (!g.project && g.institution === project.institution)));
  return {
    // federation admins and the institution's site admins grant and change allocations
    allocations: federationAdmin || siteAdmin,
    // managers and admins change members, as people: a service account changes none
    members: (federationAdmin || siteAdmin || manager) && me.kind !== 'service-account',
  };
}

/** Projects the caller may see; per project its allocations and members, changed by forms. */
export default function AdminProjects() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const [{ data, error, fetching }, refresh] = useQuery({ query: AdminProjectsPageDocument });
  const reload = () => refresh({ requestPolicy: 'network-only' });
  const selectedId = params.get('project') ?? undefined;
  const projects = data?.projects ?? [];
  const selected = projects.find((p) => p.id === selectedId);
  const choose = (id: string) => setParams(new URLSearchParams({ project: id }));

  return (
    <>
      <h1>Projects and allocations</h1>
      <CreateProject
        me={me}
        institutions={[...new Set(projects.map((p) => p.institution))].sort()}
        onCreated={(id) => {
          reload();
          choose(id);
        }}
      />
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="projects" />}
      {data && projects.length === 0 && <p>There is no project you may see yet.</p>}
      {projects.length > 0 && <ProjectsTable projects={projects} selectedId={selectedId} />}
      {selectedId && data && !selected && <Problem>No project {selectedId} that you may see.</Problem>}
      {selected && <ProjectDetail key={selected.id} project={selected} reload={reload} />}
    </>
  );
}

function CreateProject({ me, institutions, onCreated }: { me: Me; institutions: string[]; onCreated: (id: string) => void }) {
  const federationAdmin = hasRole(me, 'FEDERATION_ADMIN');
  // a site admin makes projects of their own institutions only
  const own = [...new Set(me.roles.flatMap((g) => (g.role === 'SITE_ADMIN' && g.institution ? [g.institution] : [])))].sort();
  const [name, setName] = useState('');
  const [institution, setInstitution] = useState(federationAdmin ? '' : (own[0] ?? ''));
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<'name' | 'institution'>>();
  const [created, setCreated] = useState<string>();
  const [creation, create] = useMutation(AdminCreateProjectDocument);
  if (!federationAdmin && own.length === 0) return null;

  const errors = { name: name.trim() ? undefined : 'give the project a name', institution: institution.trim() ? undefined : 'give the institution it belongs to' };
  const errorOf = (field: 'name' | 'institution') => (refusal?.field === field ? refusal.message : touched ? errors[field] : undefined);
  const edit = (set: (v: string) => void) => (value: string) => {
    set(value);
    setRefusal(undefined);
    setCreated(undefined);
  };
  const onSubmit = async () => {
    setTouched(true);
    if (errors.name || errors.institution) return;
    const outcome = await create({ input: { name: name.trim(), institution: institution.trim() } });
    if (outcome.error) {
      setRefusal(refusalOf(outcome.error, { name: 'name', institution: 'institution' }, { CONFLICT: 'name', FORBIDDEN: 'institution' }));
      return;
    }
    const project = outcome.data?.createProject;
    if (!project) return;
    setCreated(project.name);
    setName('');
    setTouched(false);
    onCreated(project.id);
  };

  return (
    <section className="admin-panel" aria-labelledby="create-project-heading">
      <h2 id="create-project-heading">Create a project</h2>
      <Form
        className="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <div className="admin-fields">
          <TextInput label="Name" value={name} onChange={edit(setName)} error={errorOf('name')} />
          {federationAdmin ? (
            <TextInput label="Institution" value={institution} onChange={edit(setInstitution)} error={errorOf('institution')} description={institutions.length ? `as the federation names it, such as ${institutions[0]}` : 'as the federation names it'} />
          ) : (
            <SelectField label="Institution" value={institution} onChange={edit(setInstitution)} error={errorOf('institution')}>
              {own.map((i) => (
                <option key={i}>{i}</option>
              ))}
            </SelectField>
          )}
        </div>
        {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
        <div className="admin-form-buttons">
          <Button type="submit" className="button primary" isDisabled={creation.fetching}>
            Create project
          </Button>
          {created && <span role="status">Project {created} created.</span>}
        </div>
      </Form>
    </section>
  );
}

function ProjectsTable({ projects, selectedId }: { projects: Project[]; selectedId: string | undefined }) {
  const now = Date.now();
  return (
    <ScrollTable label="Projects table">
      <table>
        <caption>Projects you may see: choose one for its allocations and members</caption>
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Institution</th>
            <th scope="col">Allocations in force</th>
            <th scope="col">Members</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.id} className={p.id === selectedId ? 'admin-selected' : undefined}>
              <td>
                <Link to={`?project=${p.id}`} aria-current={p.id === selectedId ? 'true' : undefined}>
                  {p.name}
                </Link>
              </td>
              <td>{p.institution}</td>
              <td>{p.allocations.filter((a) => allocationState(a, now) === 'In force').length}</td>
              <td>{p.members.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

function ProjectDetail({ project, reload }: { project: Project; reload: () => void }) {
  const me = useMe();
  const rights = rightsIn(me, project);
  const heading = useRef<HTMLHeadingElement>(null);
  // a project chosen from the table: its section is where the reader goes next
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="admin-project" aria-labelledby="project-heading">
      <h2 id="project-heading" ref={heading} tabIndex={-1}>
        {project.name} <span className="muted">{project.institution}</span>
      </h2>
      <Allocations project={project} mayChange={rights.allocations} reload={reload} />
      <Members project={project} mayChange={rights.members} reload={reload} />
    </section>
  );
}

const orNone = (n: number | null | undefined, what: string) => (n === null || n === undefined ? what : n.toLocaleString('en'));

function term(a: AdminAllocationFieldsFragment): string {
  if (!a.startsAt && !a.endsAt) return 'open-ended';
  return `${a.startsAt ? formatTime(a.startsAt) : 'now'} – ${a.endsAt ? formatTime(a.endsAt) : 'open-ended'}`;
}

function Allocations({ project, mayChange, reload }: { project: Project; mayChange: boolean; reload: () => void }) {
  const now = Date.now();
  return (
    <section aria-labelledby="allocations-heading">
      <h3 id="allocations-heading">Allocations</h3>
      {project.allocations.length === 0 ? (
        <p>No allocations yet: the project cannot start anything.</p>
      ) : (
        <ScrollTable label="Allocations table">
          <table>
            <caption className="visually-hidden">Allocations of {project.name}</caption>
            <thead>
              <tr>
                <th scope="col">Allocation</th>
                <th scope="col">vCPUs</th>
                <th scope="col">Memory</th>
                <th scope="col">GPUs</th>
                <th scope="col">Instances</th>
                <th scope="col">Core-hours</th>
                <th scope="col">GPU-hours</th>
                <th scope="col">Term</th>
                <th scope="col">State</th>
                {mayChange && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {project.allocations.map((a) => {
                const state = allocationState(a, now);
                return (
                  <tr key={a.id}>
                    <td>
                      <span className="id">{a.id.slice(0, 8)}</span>
                    </td>
                    <td>{a.vcpus}</td>
                    <td>{formatMemory(a.memoryMiB)}</td>
                    <td>{a.gpus}</td>
                    <td>{orNone(a.instances, 'no limit')}</td>
                    <td>{a.coreHours === null || a.coreHours === undefined ? 'no budget' : formatHours(a.coreHours)}</td>
                    <td>{a.gpuHours === null || a.gpuHours === undefined ? 'no budget' : formatHours(a.gpuHours)}</td>
                    <td>{term(a)}</td>
                    <td>
                      {state}
                      {a.revokedAt && ` ${formatTime(a.revokedAt)}`}
                      {a.terminateAfterMinutes !== null && a.terminateAfterMinutes !== undefined && (
                        <span className="muted"> (what it no longer covers ends {a.terminateAfterMinutes} min after)</span>
                      )}
                    </td>
                    {mayChange && (
                      <td>
                        {!a.revokedAt && (
                          <span className="row-actions">
                            <ChangeAllocation allocation={a} reload={reload} />
                            <RevokeAllocation allocation={a} reload={reload} />
                          </span>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {mayChange ? <GrantAllocation projectId={project.id} reload={reload} /> : <p className="hint">Allocations are granted by the federation's admins and the site admins of {project.institution}.</p>}
    </section>
  );
}

/** The allocation form's fields, for granting and changing. */
function AllocationInputs({ fields, set, errorOf }: { fields: AllocationFields; set: (name: AllocationField) => (value: string) => void; errorOf: (name: AllocationField) => string | undefined }) {
  return (
    <>
      <div className="admin-fields">
        <TextInput label="vCPUs" value={fields.vcpus} onChange={set('vcpus')} error={errorOf('vcpus')} inputMode="numeric" description="at once, in all" />
        <TextInput label="Memory" value={fields.memory} onChange={set('memory')} error={errorOf('memory')} description="MiB, or with a unit: 64 GiB" />
        <TextInput label="GPUs" value={fields.gpus} onChange={set('gpus')} error={errorOf('gpus')} inputMode="numeric" description="empty: none" />
        <TextInput label="Instances" value={fields.instances} onChange={set('instances')} error={errorOf('instances')} inputMode="numeric" description="empty: no limit" />
        <TextInput label="Core-hours" value={fields.coreHours} onChange={set('coreHours')} error={errorOf('coreHours')} inputMode="decimal" description="budget; empty: unlimited" />
        <TextInput label="GPU-hours" value={fields.gpuHours} onChange={set('gpuHours')} error={errorOf('gpuHours')} inputMode="decimal" description="budget; empty: unlimited" />
        <DateInput label="Starts" value={fields.startsOn} onChange={set('startsOn')} error={errorOf('startsOn')} description="00:00 UTC that day; empty: now" />
        <DateInput label="Ends" value={fields.endsOn} onChange={set('endsOn')} error={errorOf('endsOn')} description="00:00 UTC that day; empty: no end" />
      </div>
      <TextInput
        label="Terminate after (minutes)"
        value={fields.terminateAfterMinutes}
        onChange={set('terminateAfterMinutes')}
        error={errorOf('terminateAfterMinutes')}
        inputMode="numeric"
        description="when it ends, is revoked or runs out, end what it no longer covers this many minutes later; empty: running leases finish"
      />
    </>
  );
}

/** The state of an allocation form: its fields, what is wrong with them, and the API's refusal. */
function useAllocationForm(initial: AllocationFields) {
  const [fields, setFields] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<AllocationField>>();
  const read = readAllocation(fields);
  return {
    fields,
    read,
    refusal,
    set: (name: AllocationField) => (value: string) => {
      setFields((f) => ({ ...f, [name]: value }));
      setRefusal(undefined);
    },
    errorOf: (name: AllocationField) => (refusal?.field === name ? refusal.message : touched ? read.errors[name] : undefined),
    /** marks the form as submitted: what is wrong with it shows from now on */
    submitted: () => setTouched(true),
    refused: (error: CombinedError) => setRefusal(refusalOf(error, FIELD_OF_INPUT)),
    reset: (to: AllocationFields) => {
      setFields(to);
      setTouched(false);
      setRefusal(undefined);
    },
  };
}

function GrantAllocation({ projectId, reload }: { projectId: string; reload: () => void }) {
  const form = useAllocationForm(EMPTY_ALLOCATION);
  const [granting, grant] = useMutation(AdminGrantAllocationDocument);
  const [granted, setGranted] = useState(false);
  const onSubmit = async () => {
    form.submitted();
    setGranted(false);
    if (!form.read.values) return;
    const outcome = await grant({ input: grantInput(projectId, form.read.values) });
    if (outcome.error) return form.refused(outcome.error);
    form.reset(EMPTY_ALLOCATION);
    setGranted(true);
    reload();
  };
  return (
    <section className="admin-panel" aria-labelledby="grant-heading">
      <h4 id="grant-heading">Grant an allocation</h4>
      <Form
        className="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <AllocationInputs fields={form.fields} set={(name) => (value) => (setGranted(false), form.set(name)(value))} errorOf={form.errorOf} />
        {form.refusal && !form.refusal.field && <Problem>{form.refusal.message}</Problem>}
        <div className="admin-form-buttons">
          <Button type="submit" className="button primary" isDisabled={granting.fetching}>
            Grant allocation
          </Button>
          {granted && <span role="status">Allocation granted.</span>}
        </div>
      </Form>
    </section>
  );
}

function ChangeAllocation({ allocation, reload }: { allocation: AdminAllocationFieldsFragment; reload: () => void }) {
  const before = fieldsOf(allocation);
  const form = useAllocationForm(before);
  const [updating, update] = useMutation(AdminUpdateAllocationDocument);
  const name = allocation.id.slice(0, 8);
  return (
    <DialogTrigger onOpenChange={(open) => open && form.reset(fieldsOf(allocation))}>
      <Button className="button" aria-label={`Change allocation ${name}`}>
        Change
      </Button>
      <Modal className="modal" isDismissable>
        <Dialog className="admin-dialog">
          {({ close }) => (
            <Form
              className="admin-form"
              onSubmit={(event) => {
                event.preventDefault();
                form.submitted();
                if (!form.read.values) return;
                void update({ input: updateInput(allocation.id, before, form.fields, form.read.values) }).then((outcome) => {
                  if (outcome.error) return form.refused(outcome.error);
                  close();
                  reload();
                });
              }}
            >
              <Heading slot="title">Change allocation {name}</Heading>
              <p className="hint">An emptied budget becomes unlimited, an emptied end date none. What is not changed stays as it is.</p>
              <AllocationInputs fields={form.fields} set={form.set} errorOf={form.errorOf} />
              {form.refusal && !form.refusal.field && <Problem>{form.refusal.message}</Problem>}
              <div className="dialog-buttons">
                <Button className="button" onPress={close}>
                  Cancel
                </Button>
                <Button type="submit" className="button primary" isDisabled={updating.fetching}>
                  Save changes
                </Button>
              </div>
            </Form>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}

function RevokeAllocation({ allocation, reload }: { allocation: AdminAllocationFieldsFragment; reload: () => void }) {
  const [minutes, setMinutes] = useState('');
  const [fieldError, setFieldError] = useState<string>();
  const [, revoke] = useMutation(AdminRevokeAllocationDocument);
  const name = allocation.id.slice(0, 8);
  return (
    <ConfirmButton
      label="Revoke"
      ariaLabel={`Revoke allocation ${name}`}
      title={`Revoke allocation ${name}?`}
      confirmLabel="Yes, revoke it"
      onConfirm={async () => {
        setFieldError(undefined);
        const text = minutes.trim();
        if (text && !/^\d+$/.test(text)) {
          setFieldError('a whole number of minutes; empty: running leases finish');
          return false;
        }
        const outcome = await revoke({ id: allocation.id, terminateAfterMinutes: text ? Number(text) : null });
        if (outcome.error) {
          if (fieldOf(outcome.error) === 'terminateAfterMinutes') {
            setFieldError(describeError(outcome.error));
            return false;
          }
          return describeError(outcome.error);
        }
        reload();
        return true;
      }}
    >
      <p>It stops counting at once: nothing new is placed on it. Running leases finish, unless you say when to end what the project's other allocations do not cover.</p>
      <TextInput
        label="Terminate after (minutes)"
        value={minutes}
        onChange={(value) => (setMinutes(value), setFieldError(undefined))}
        error={fieldError}
        inputMode="numeric"
        description="empty: running leases finish; 0: at once"
      />
    </ConfirmButton>
  );
}

const MEMBER_ROLES: Role[] = ['RESEARCHER', 'PROJECT_MANAGER'];

function personOf(member: Member): string {
  return member.user.displayName ?? member.user.email ?? member.user.id;
}

function Members({ project, mayChange, reload }: { project: Project; mayChange: boolean; reload: () => void }) {
  const [, remove] = useMutation(AdminRemoveProjectMemberDocument);
  return (
    <section aria-labelledby="members-heading">
      <h3 id="members-heading">Members</h3>
      {project.members.length === 0 ? (
        <p>No members given by hand or by the identity provider yet.</p>
      ) : (
        <ScrollTable label="Members table">
          <table>
            <caption className="visually-hidden">Members of {project.name}</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">E-mail</th>
                <th scope="col">User id</th>
                <th scope="col">Role</th>
                <th scope="col">Given</th>
                {mayChange && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {project.members.map((m) => (
                <tr key={`${m.user.id}-${m.role}-${m.source}`}>
                  <td>{personOf(m)}</td>
                  <td>{m.user.email ?? '—'}</td>
                  <td>
                    <code>{m.user.id}</code>
                  </td>
                  <td>{m.role}</td>
                  <td>{m.source === 'claims' ? 'by the identity provider' : 'by hand'}</td>
                  {mayChange && (
                    <td>
                      {m.source === 'manual' ? (
                        <ConfirmButton
                          label="Remove"
                          ariaLabel={`Remove ${personOf(m)}`}
                          title={`Remove ${personOf(m)} from ${project.name}?`}
                          confirmLabel="Yes, remove"
                          onConfirm={async () => {
                            const outcome = await remove({ projectId: project.id, userId: m.user.id });
                            if (outcome.error) return describeError(outcome.error);
                            reload();
                            return true;
                          }}
                        >
                          <p>They lose the role given by hand at once. A role from the identity provider comes back at their next login unless its rules change.</p>
                        </ConfirmButton>
                      ) : (
                        <span className="muted">from the identity provider</span>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {mayChange && <AddMember projectId={project.id} reload={reload} />}
    </section>
  );
}

function AddMember({ projectId, reload }: { projectId: string; reload: () => void }) {
  const [user, setUser] = useState('');
  const [role, setRole] = useState<Role>('RESEARCHER');
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<'user' | 'role'>>();
  const [added, setAdded] = useState<string>();
  const [adding, add] = useMutation(AdminAddProjectMemberDocument);
  const missing = user.trim() ? undefined : 'give their user id (`me` shows it to them) or the e-mail address their identity provider verified';
  const errorOf = (field: 'user' | 'role') => (refusal?.field === field ? refusal.message : field === 'user' && touched ? missing : undefined);
  const onSubmit = async () => {
    setTouched(true);
    setAdded(undefined);
    if (missing) return;
    const who = user.trim();
    const outcome = await add({ input: { projectId, role, ...(who.includes('@') ? { email: who } : { userId: who }) } });
    if (outcome.error) {
      // a user not found concerns the user field, though the API names no field for it
      setRefusal(refusalOf(outcome.error, { userId: 'user', email: 'user', role: 'role' }, { NOT_FOUND: 'user' }));
      return;
    }
    const member = outcome.data?.addProjectMember;
    setAdded(member ? `${member.user.displayName ?? member.user.email ?? member.user.id} is now ${member.role}.` : undefined);
    setUser('');
    setTouched(false);
    reload();
  };
  return (
    <section className="admin-panel" aria-labelledby="add-member-heading">
      <h4 id="add-member-heading">Add a member</h4>
      <Form
        className="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <div className="admin-fields">
          <TextInput label="User id or e-mail" value={user} onChange={(v) => (setUser(v), setRefusal(undefined), setAdded(undefined))} error={errorOf('user')} description="they must have logged in once" />
          <SelectField label="Role" value={role} onChange={(v) => (setRole(v as Role), setRefusal(undefined))} error={errorOf('role')}>
            {MEMBER_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </SelectField>
        </div>
        {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
        <div className="admin-form-buttons">
          <Button type="submit" className="button primary" isDisabled={adding.fetching}>
            Add member
          </Button>
          {added && <span role="status">{added}</span>}
        </div>
      </Form>
    </section>
  );
}

