// The admin page 'sites': being written (issue 15).
export default function Page() {
  return <h1>sites</h1>;
}
