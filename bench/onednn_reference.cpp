#include "onednn_reference.hpp"

#include <chrono>
#include <cstring>
#include <dnnl.hpp>
#include <random>
#include <unordered_map>
#include <utility>

#include "huge_buffer.hpp"

namespace chipcert::bench {

struct DirectGemm::State {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  HugeArray<unsigned char> a{nullptr, &std::free}, b{nullptr, &std::free}, c{nullptr, &std::free},
      packed{nullptr, &std::free}, scratch{nullptr, &std::free};
  dnnl::matmul matmul;
  std::unordered_map<int, dnnl::memory> args;
};

DirectGemm::DirectGemm(const std::string& in, int64_t m, int64_t n, int64_t k)
    : flop_(2.0 * double(m) * double(n) * double(k)) {
  using dnnl::memory;
  using dt = memory::data_type;
  const dt src = in == "f32" ? dt::f32 : in == "bf16" ? dt::bf16 : dt::s8;
  const dt dst = src == dt::s8 ? dt::s32 : dt::f32;
  try {
    auto s = std::make_unique<State>();
    const memory::desc a_md({m, k}, src, memory::format_tag::ab);
    const memory::desc b_md({k, n}, src, memory::format_tag::ab);
    const memory::desc b_any({k, n}, src, memory::format_tag::any);
    const memory::desc c_md({m, n}, dst, memory::format_tag::ab);
    // A user scratchpad and every buffer on huge pages, as the CPU driver
    // has them: the reference then differs from chipcert's GEMM only in the
    // layers between (driver ABI, workload).
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_any, c_md), attr, s->eng);
    impl_ = pd.impl_info_str();
    // Random operands: values that toggle bits, as chipcert's seeded inputs do
    // (constant operands read several per cent faster on a Zen 5 VM).
    const size_t esize = memory::data_type_size(src);
    const size_t a_bytes = size_t(m * k) * esize, b_bytes = size_t(k * n) * esize;
    s->a = huge_array<unsigned char>(a_bytes);
    s->b = huge_array<unsigned char>(b_bytes);
    s->c = huge_array<unsigned char>(c_md.get_size());
    s->packed = huge_array<unsigned char>(pd.weights_desc().get_size());
    s->scratch = huge_array<unsigned char>(pd.scratchpad_desc().get_size());
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (const auto& [v, bytes] :
         {std::pair{s->a.get(), a_bytes}, std::pair{s->b.get(), b_bytes}}) {
      for (size_t i = 0; i < bytes / esize; ++i) {
        const float x = u(rng);
        if (src == dt::f32) {
          std::memcpy(v + i * 4, &x, 4);
        } else if (src == dt::bf16) {
          uint32_t bits = 0;
          std::memcpy(&bits, &x, 4);
          const uint16_t h = uint16_t(bits >> 16);
          std::memcpy(v + i * 2, &h, 2);
        } else {
          v[i] = static_cast<unsigned char>(int8_t(x * 127));
        }
      }
    }
    memory am(a_md, s->eng, s->a.get()), bm(b_md, s->eng, s->b.get()), cm(c_md, s->eng, s->c.get());
    memory bp(pd.weights_desc(), s->eng, s->packed.get());
    memory sm(pd.scratchpad_desc(), s->eng, s->scratch.get());
    dnnl::reorder(bm, bp).execute(s->stream, bm, bp);
    s->matmul = dnnl::matmul(pd);
    s->args = {
        {DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bp}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}};
    s->stream.wait();
    state_ = std::move(s);
  } catch (const dnnl::error& e) {
    impl_ = std::string("oneDNN: ") + e.what();
  }
}

DirectGemm::~DirectGemm() = default;

double DirectGemm::time_once() {
  const auto t0 = std::chrono::steady_clock::now();
  state_->matmul.execute(state_->stream, state_->args);
  state_->stream.wait();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace chipcert::bench
