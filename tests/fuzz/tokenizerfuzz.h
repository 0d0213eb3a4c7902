#pragma once
// What every tokenizer target checks once a file is accepted: encoding and
// decoding any text, and naming every id, stay within the vocabulary.
#include "fuzzsupport.h"

#include "core/model/tokenizer.h"

#include <algorithm>

namespace olfuzz {

inline void exerciseTokenizer(const ol::Tokenizer& tok) {
    const int32_t vocab = tok.vocabSize();
    require(vocab > 0, "an accepted tokenizer has a vocabulary");
    for (const char* text :
         {"", "Once upon a time, Lily saw a big dog.\n", " \t\n  x", "\xc3\xa9t\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x98\x80",
          "\xff\xfe invalid \x80", "<s></s><unk>0x0A 12345 !!??"}) {
        for (bool bos : {false, true}) {
            const auto ids = tok.encode(text, bos);
            for (int32_t id : ids) require(id >= 0 && id < vocab, "encode returns ids inside the vocabulary");
            (void)tok.decode(ids);
        }
    }
    for (int32_t id = 0; id < std::min<int32_t>(vocab, 512); ++id) (void)tok.tokenText(id);
    (void)tok.bosId();
    (void)tok.eosId();
}

} // namespace olfuzz
