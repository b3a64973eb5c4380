// The admin page 'tokens': being written (issue 15).
export default function Page() {
  return <h1>tokens</h1>;
}
