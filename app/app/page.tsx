// Placeholder: the pages engineer replaces this page.
export default function HomePage() {
  return <main><h1>PEFT Lab</h1></main>;
}
