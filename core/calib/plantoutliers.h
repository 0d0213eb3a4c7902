#pragma once
// Plants outliers into a model by exact rescalings, so the model computes the
// same function but its activations carry outliers where asked. The bundled
// model has none of its own; tests and the demo need them.
//  - massive LAYER:CHANNEL:F — up_proj row × F and down_proj column ÷ F: the
//    down_proj input channel is F times larger in every token.
//  - normal LAYER:SITE:CHANNEL:F — SITE attn_in: input RMSNorm weight × F and
//    q/k/v columns ÷ F; mlp_in: post-attention RMSNorm weight × F and gate/up
//    columns ÷ F; o_in: v_proj row × F and the o_proj columns of every query
//    head reading that kv head ÷ F.
#include "core/model/activationhook.h"

#include <memory>
#include <string>
#include <vector>

namespace ol {

class Checkpoint;
class OverlayCheckpoint;

struct PlantedOutlier {
    bool massive = false;
    int layer = 0;
    Site site = Site::DownInput;
    std::int64_t channel = 0;
    double factor = 1.0;
    std::string describe() const;
};

// Parses "LAYER:CHANNEL:FACTOR" (massive) or "LAYER:SITE:CHANNEL:FACTOR" (normal); UsageError on bad text.
PlantedOutlier parsePlantedOutlier(const std::string& text, bool massive);

// Throws UsageError naming the spec when a layer, channel or site is out of range.
std::shared_ptr<OverlayCheckpoint> plantOutliers(const std::shared_ptr<const Checkpoint>& model,
                                                 const std::vector<PlantedOutlier>& outliers);

} // namespace ol
