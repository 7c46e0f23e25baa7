/** Placeholder until the screen lands. */
export default function Screen() {
  return null;
}
