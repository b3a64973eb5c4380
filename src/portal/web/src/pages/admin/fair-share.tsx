// The admin page 'fair-share': being written (issue 15).
export default function Page() {
  return <h1>fair-share</h1>;
}
