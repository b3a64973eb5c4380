import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A table's sideways-scrolling wrapper (.table-scroll) that, while its table is wider than it,
 * can be focused and scrolled by keyboard: a named region in the tab order. When the table fits,
 * it is a plain box and no extra tab stop.
 */
export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  // after every render (rows come and go) and at every change of size (a narrower window)
  useLayoutEffect(() => {
    const element = box.current;
    if (element) setScrolls(element.scrollWidth > element.clientWidth);
  });
  useLayoutEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setScrolls(element.scrollWidth > element.clientWidth));
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={box} className="table-scroll" {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': label } : {})}>
      {children}
    </div>
  );
}
