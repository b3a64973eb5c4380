import { useEffect } from 'react';

/** Calls `refresh` every `ms` while the page is visible: lists stay current without a reload. */
export function usePolling(refresh: () => void, ms: number): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, ms);
    return () => clearInterval(timer);
  }, [refresh, ms]);
}
