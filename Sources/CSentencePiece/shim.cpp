// Wraps libsentencepiece behind the C API of include/CSentencePiece.h. Every C++
// exception and util::Status stops here and becomes an error string.
#include "CSentencePiece.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct reel_spm {
    sentencepiece::SentencePieceProcessor processor;
};

namespace {
void write_error(char *error, size_t error_size, const std::string &message) {
    if (error == nullptr || error_size == 0) return;
    size_t n = message.size() < error_size - 1 ? message.size() : error_size - 1;
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}
}  // namespace

extern "C" reel_spm *reel_spm_load(const char *path, char *error, size_t error_size) {
    try {
        auto *model = new reel_spm();
        const auto status = model->processor.Load(path);
        if (!status.ok()) {
            write_error(error, error_size, status.ToString());
            delete model;
            return nullptr;
        }
        return model;
    } catch (const std::exception &e) {
        write_error(error, error_size, e.what());
        return nullptr;
    }
}

extern "C" void reel_spm_free(reel_spm *model) { delete model; }

extern "C" int32_t reel_spm_piece_size(const reel_spm *model) { return model->processor.GetPieceSize(); }
extern "C" int32_t reel_spm_pad_id(const reel_spm *model) { return model->processor.pad_id(); }
extern "C" int32_t reel_spm_eos_id(const reel_spm *model) { return model->processor.eos_id(); }
extern "C" int32_t reel_spm_unk_id(const reel_spm *model) { return model->processor.unk_id(); }
extern "C" int32_t reel_spm_bos_id(const reel_spm *model) { return model->processor.bos_id(); }

extern "C" int64_t reel_spm_id_to_piece(const reel_spm *model, int32_t id, char *out, size_t out_size) {
    if (id < 0 || id >= model->processor.GetPieceSize()) return -1;
    const std::string &piece = model->processor.IdToPiece(id);
    write_error(out, out_size, piece);
    return static_cast<int64_t>(piece.size());
}

extern "C" int reel_spm_encode(
    const reel_spm *model, const char *text, size_t length,
    int32_t **ids, size_t *count, char *error, size_t error_size) {
    try {
        std::vector<int> pieces;
        const auto status = model->processor.Encode(absl::string_view(text, length), &pieces);
        if (!status.ok()) {
            write_error(error, error_size, status.ToString());
            return -1;
        }
        auto *out = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * (pieces.empty() ? 1 : pieces.size())));
        if (out == nullptr) {
            write_error(error, error_size, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < pieces.size(); ++i) out[i] = static_cast<int32_t>(pieces[i]);
        *ids = out;
        *count = pieces.size();
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_size, e.what());
        return -1;
    }
}

extern "C" void reel_spm_free_ids(int32_t *ids) { std::free(ids); }
