import { Initial1795585707709 } from './1795585707709-Initial.js';
import { Identity1795588057623 } from './1795588057623-Identity.js';
import { Sites1795594328120 } from './1795594328120-Sites.js';
import { Allocations1795766464029 } from './1795766464029-Allocations.js';
import { Lifecycle1795768217785 } from './1795768217785-Lifecycle.js';
import { IdentityHardening1796186710266 } from './1796186710266-IdentityHardening.js';
import { MalformedReplies1796187736333 } from './1796187736333-MalformedReplies.js';
import { ExactLedger1796199656147 } from './1796199656147-ExactLedger.js';
import { RequestTags1796228694005 } from './1796228694005-RequestTags.js';
import { WorkerPools1796232436313 } from './1796232436313-WorkerPools.js';
import { UsageFacts1796258769018 } from './1796258769018-UsageFacts.js';
import { Notifications1796259594421 } from './1796259594421-Notifications.js';
import { TokenSessions1796281797570 } from './1796281797570-TokenSessions.js';
import { GangReservation1796294548596 } from './1796294548596-GangReservation.js';

/** Every migration, in order. `npm run migration:check` fails when the entities need another. */
export const MIGRATIONS = [
  Initial1795585707709,
  Identity1795588057623,
  Sites1795594328120,
  Allocations1795766464029,
  Lifecycle1795768217785,
  IdentityHardening1796186710266,
  MalformedReplies1796187736333,
  ExactLedger1796199656147,
  RequestTags1796228694005,
  WorkerPools1796232436313,
  UsageFacts1796258769018,
  Notifications1796259594421,
  TokenSessions1796281797570,
  GangReservation1796294548596,
];
