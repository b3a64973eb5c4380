import type { ProjectState, WaitingRequest } from './allocator.types.js';
import { fairShareScore } from './fair-share.js';

interface Entry {
  project: ProjectState | undefined;
  /** The project's requests (indices into the cycle's), oldest first. */
  requests: number[];
  next: number;
  /** The project's score when the entry went in: it changes only while the project is out of the queue. */
  score: number;
}

/**
 * Projects in fair-share order, each with its waiting requests oldest first. The project with
 * the lowest score goes next; a placement raises its score at once, so one cycle already
 * interleaves projects by share. A binary heap: taking the next request and putting its project
 * back cost log(projects) each.
 */
export class FairShareQueue {
  private readonly heap: Entry[] = [];
  /** Each request's creation time, read once: the order compares them many times. */
  private readonly createdAt: Float64Array;

  /** `taking`: which of `requests` (by index) to queue. */
  constructor(
    private readonly requests: readonly WaitingRequest[],
    taking: readonly number[],
    projects: ReadonlyMap<string, ProjectState>,
  ) {
    this.createdAt = new Float64Array(requests.length);
    const byProject = new Map<string, number[]>();
    for (const i of taking) {
      const request = requests[i]!;
      this.createdAt[i] = request.createdAt.getTime();
      const list = byProject.get(request.projectId);
      if (list) list.push(i);
      else byProject.set(request.projectId, [i]);
    }
    for (const [projectId, list] of byProject) this.insert({ project: projects.get(projectId), requests: list.sort((a, b) => this.olderFirst(a, b)), next: 0, score: 0 });
  }

  /** Oldest first; the id settles a tie, so the order never depends on the input's. */
  private olderFirst(a: number, b: number): number {
    const ida = this.requests[a]!.id;
    const idb = this.requests[b]!.id;
    return this.createdAt[a]! - this.createdAt[b]! || (ida < idb ? -1 : ida > idb ? 1 : 0);
  }

  /** The project with the lowest score goes first; of two with the same, the one whose next request is older. */
  private before(a: Entry, b: Entry): boolean {
    return a.score !== b.score ? a.score < b.score : this.olderFirst(a.requests[a.next]!, b.requests[b.next]!) < 0;
  }

  /** The next request in fair-share order (its index), or undefined when all were taken. */
  take(): { index: number; project: ProjectState | undefined; done: () => void } | undefined {
    const entry = this.removeFirst();
    if (!entry) return undefined;
    const index = entry.requests[entry.next++]!;
    // put the project back after the caller has held what it placed, so its new score counts
    const done = () => {
      if (entry.next < entry.requests.length) this.insert(entry);
    };
    return { index, project: entry.project, done };
  }

  private insert(entry: Entry): void {
    entry.score = entry.project ? fairShareScore(entry.project) : Infinity;
    const heap = this.heap;
    // sift up: parents that do not go before it move down a level
    let at = heap.length;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(entry, heap[parent]!)) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = entry;
  }

  private removeFirst(): Entry | undefined {
    const heap = this.heap;
    const first = heap[0];
    const last = heap.pop();
    if (first === undefined || first === last) return first;
    // sift down: the last entry takes the root's place, and children that go before it move up
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, last!)) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = last!;
    return first;
  }
}
