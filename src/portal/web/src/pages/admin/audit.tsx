// The admin page 'audit': being written (issue 15).
export default function Page() {
  return <h1>audit</h1>;
}
