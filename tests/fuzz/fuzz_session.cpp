// An HDF5 session file (SessionReader): a damaged or foreign file is refused
// with a message; every site of an accepted one reads back with the shapes
// its attributes declare.
#include "fuzzsupport.h"

#include "core/calib/session.h"

#include <ATen/ATen.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("session.h5", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::SessionReader session(path);
        (void)session.numLayers();
        for (const auto& [layer, site] : session.sites()) {
            const auto s = session.statistics(layer, site);
            olfuzz::require(s.layer == layer && s.site == site, "statistics() returns the site asked for");
            for (const at::Tensor* t : {&s.absmax, &s.min, &s.max, &s.mean, &s.meanAbs, &s.kurtosis, &s.actScales})
                olfuzz::require(!t->defined() || (t->dim() == 1 && t->size(0) == s.channels),
                                "per-channel statistics have one value per channel");
        }
    });
    return 0;
}
