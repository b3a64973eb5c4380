import type { VerdictFragment } from '../api/generated';
import { ScrollTable } from './scroll-table';

/** Each site's verdict on a request (explain): those that fit first, then the first filter each failed. */
export function Verdicts({ verdicts, caption }: { verdicts: VerdictFragment[]; caption: string }) {
  if (verdicts.length === 0) return null;
  return (
    <ScrollTable label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Verdict</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {verdicts.map((v) => (
            <tr key={v.site.id}>
              <td>{v.site.name}</td>
              <td>{v.verdict === 'FITS' ? `FITS (${v.fits})` : v.verdict}</td>
              <td>{v.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
