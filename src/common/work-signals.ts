import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** Things that happened and that some background worker should act on, soon. */
export type WorkSignal =
  | 'requests-waiting' // a request was submitted or capacity was freed: run the allocator
  | 'placements-ready' // the allocator placed something: start instances
  | 'terminations-ready'; // something must end at a site: terminate instances

/**
 * In-process nudges between domains, sent only after the transaction that caused them has
 * committed. They only make work happen sooner: every worker also runs on its schedule, so a
 * lost signal (a crash, another broker process) delays work but never loses it.
 */
@Injectable()
export class WorkSignals {
  private readonly emitter = new EventEmitter();

  emit(signal: WorkSignal): void {
    this.emitter.emit(signal);
  }

  on(signal: WorkSignal, listener: () => void): void {
    this.emitter.on(signal, listener);
  }
}
