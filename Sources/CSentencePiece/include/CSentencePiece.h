// A C face for libsentencepiece's C++ SentencePieceProcessor, so Swift (ReelText)
// can call it without C++ interop. Only ReelText sees these pointers.
#ifndef REEL_CSENTENCEPIECE_H
#define REEL_CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opened SentencePiece model (owns a sentencepiece::SentencePieceProcessor).
typedef struct reel_spm reel_spm;

/// Loads `path`; on failure returns NULL and writes a NUL-terminated reason into `error`.
reel_spm *reel_spm_load(const char *path, char *error, size_t error_size);

/// Releases a model from reel_spm_load (NULL is allowed).
void reel_spm_free(reel_spm *model);

/// The number of pieces (ids are 0 ..< size).
int32_t reel_spm_piece_size(const reel_spm *model);

/// The special ids the model was trained with; -1 when the model has none.
int32_t reel_spm_pad_id(const reel_spm *model);
int32_t reel_spm_eos_id(const reel_spm *model);
int32_t reel_spm_unk_id(const reel_spm *model);
int32_t reel_spm_bos_id(const reel_spm *model);

/// The piece of `id` copied NUL-terminated into `out` (truncated to `out_size`);
/// returns the piece's full length in bytes, or -1 when `id` is out of range.
int64_t reel_spm_id_to_piece(const reel_spm *model, int32_t id, char *out, size_t out_size);

/// Encodes `length` bytes of UTF-8 at `text` into piece ids. On success returns 0 and
/// sets `*ids` (malloc'd; release with reel_spm_free_ids) and `*count`; on failure
/// returns -1 and writes the reason into `error`.
int reel_spm_encode(
    const reel_spm *model, const char *text, size_t length,
    int32_t **ids, size_t *count, char *error, size_t error_size);

/// Releases ids from reel_spm_encode.
void reel_spm_free_ids(int32_t *ids);

#ifdef __cplusplus
}
#endif

#endif
