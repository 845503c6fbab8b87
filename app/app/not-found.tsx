import Link from 'next/link';

export default function NotFound() {
  return (<><h1>Not found</h1><p>No such sweep or trial. <Link href="/">Back to the sweeps</Link>.</p></>);
}
