/**
 * What the clerk hears: a short high chirp when a scan or a step went through, a low double buzz when
 * it did not, so eyes can stay on the parcel. WebAudio tones, made on the spot (no sound files).
 */
export type Tone = "ok" | "error" | "info";

const TONES: Record<Tone, { hz: number; type: OscillatorType; beeps: number; ms: number }> = {
  ok: { hz: 1320, type: "sine", beeps: 1, ms: 110 },
  info: { hz: 880, type: "sine", beeps: 1, ms: 70 },
  error: { hz: 220, type: "square", beeps: 2, ms: 160 },
};

let audio: AudioContext | null = null;

/** The audio context, created on the first key press (browsers allow sound after a gesture). */
export function audioState(): AudioContextState | "none" {
  return audio?.state ?? "none";
}

export function beep(tone: Tone) {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") void audio.resume();
    const spec = TONES[tone];
    const start = audio.currentTime;
    for (let i = 0; i < spec.beeps; i++) {
      const at = start + (i * spec.ms * 1.6) / 1000;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = spec.type;
      osc.frequency.value = spec.hz;
      // A soft start and end: no click at the edges.
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.2, at + 0.01);
      gain.gain.linearRampToValueAtTime(0, at + spec.ms / 1000);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + spec.ms / 1000 + 0.02);
    }
  } catch {
    // No audio device (or none allowed): the screen still shows the outcome.
  }
}
