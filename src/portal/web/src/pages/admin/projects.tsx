// The admin page 'projects': being written (issue 15).
export default function Page() {
  return <h1>projects</h1>;
}
