import { describe, expect, it } from 'vitest';
import { subtitlePlaylist, withSubtitles } from '../../workers/api/captions/playlists.ts';
import type { Track } from '../../workers/api/captions/tracks.ts';
import { highlights } from '../../workers/api/search/spoken.ts';
import { captionFileOf, mediaFile } from '../../workers/api/videos/media-paths.ts';

const video = '0b8a1c2e-1111-4222-8333-944455556666';
const job = '7c1d2e3f-aaaa-4bbb-8ccc-ddddeeeeffff';
const trackId = '11111111-2222-4333-8444-555566667777';
const track = (fields: Partial<Track>) => ({ id: trackId, version: 3, label: 'English', language: 'en', isDefault: false, ...fields }) as Track;

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"',
  '360p/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"',
  '720p/index.m3u8',
  '',
].join('\n');

describe('caption tracks in HLS', () => {
  it('join the master as one SUBTITLES group that every variant names', () => {
    const ar = track({ id: '99999999-2222-4333-8444-555566667777', version: 1, label: 'العربية "فصحى"', language: 'ar', isDefault: true });
    expect(withSubtitles(MASTER, [ar, track({})]).split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="العربية 'فصحى'",LANGUAGE="ar",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="captions/${ar.id}/1.m3u8"`,
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="captions/${trackId}/3.m3u8"`,
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio",SUBTITLES="subs"',
      '360p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio",SUBTITLES="subs"',
      '720p/index.m3u8',
      '',
    ]);
    expect(withSubtitles(MASTER, [])).toBe(MASTER);
  });

  it('each have a media playlist: the whole WebVTT as one segment as long as the video', () => {
    expect(subtitlePlaylist(track({}), 3_600.25)).toBe(
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3601\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:3600.250,\n3.vtt\n#EXT-X-ENDLIST\n',
    );
  });

  it('are named under the job folder by track id and version, nothing else', () => {
    const key = (rest: string) => mediaFile(['T0k3n', video, job, ...rest.split('/')]).key;
    expect(captionFileOf(key(`captions/${trackId}/3.vtt`))).toEqual({ trackId, version: 3, kind: 'vtt' });
    expect(captionFileOf(key(`captions/${trackId}/12.m3u8`))).toEqual({ trackId, version: 12, kind: 'm3u8' });
    for (const other of ['master.m3u8', `captions/${trackId}/v3.vtt`, 'captions/not-an-id/3.vtt', `captions/${trackId}/3.srt`, `captions/${trackId}/3.vtt.m4s`]) {
      expect(captionFileOf(key(other)), other).toBeUndefined();
    }
  });
});

describe('spoken-word search highlights', () => {
  it('mark the original words whose normalized form PostgreSQL marked, diacritics and case kept', () => {
    const text = 'مُقَدِّمَةٌ في الحوسبة، ومقدمة أخرى';
    const marked = '\uE000مقدمه\uE001 في الحوسبه، ومقدمه اخري';
    expect(highlights(text, marked).map(([start, end]) => text.slice(start, end))).toEqual(['مُقَدِّمَةٌ']);
    expect(highlights('Learning at the EDGE', 'learning at the \uE000edge\uE001')).toEqual([[16, 20]]);
    expect(highlights('nothing here', 'nothing here')).toEqual([]);
  });
});
