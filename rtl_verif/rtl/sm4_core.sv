// SM4 block cipher engine (GB/T 32907-2016), bit-exact with crypto/sm4.py:
// the thin top that connects the register block (sm4_core_regs, generated
// from rtl_verif/regs/sm4_core.rdl), the key memory (sm4_key), the round
// engine (sm4_round, with its T transform sm4_t and S-box sm4_sbox).
//
// Blocks come from two sources and share the one round engine:
// * AXI4-Stream: 128-bit blocks, big-endian words (tdata[127:96] is X0, as the
//   standard writes the block left to right); results leave on m_axis in
//   order, tlast passes through;
// * the bus: CTRL.START processes DIN0..DIN3 (sampled when the block starts);
//   the result lands in DOUT0..DOUT3 and sets STATUS.DOUT_VALID and
//   IRQ_STATUS.BLOCK_DONE. A pending START goes before the next stream block.
// A block encrypts or decrypts as CTRL.DECRYPT says when it starts; it takes
// 33 clocks from load to result, one block per 32 clocks back to back.
// Key: KEY0..KEY3 (write-only; KEY0 = MK0) and CTRL.KEY_LOAD run the key
// schedule in 32 clocks after any block in its rounds; blocks wait for it.
// irq = OR of the IRQ_STATUS bits enabled in IRQ_ENABLE.
// Register map: docs/registers/sm4_core.md.
module sm4_core (
    input  logic         clk,
    input  logic         rst,
    // AXI4-Lite slave (registers)
    input  logic [6:0]   s_axil_awaddr,
    input  logic [2:0]   s_axil_awprot,
    input  logic         s_axil_awvalid,
    output logic         s_axil_awready,
    input  logic [31:0]  s_axil_wdata,
    input  logic [3:0]   s_axil_wstrb,
    input  logic         s_axil_wvalid,
    output logic         s_axil_wready,
    output logic [1:0]   s_axil_bresp,
    output logic         s_axil_bvalid,
    input  logic         s_axil_bready,
    input  logic [6:0]   s_axil_araddr,
    input  logic [2:0]   s_axil_arprot,
    input  logic         s_axil_arvalid,
    output logic         s_axil_arready,
    output logic [31:0]  s_axil_rdata,
    output logic [1:0]   s_axil_rresp,
    output logic         s_axil_rvalid,
    input  logic         s_axil_rready,
    // AXI4-Stream blocks
    input  logic [127:0] s_axis_tdata,
    input  logic         s_axis_tvalid,
    output logic         s_axis_tready,
    input  logic         s_axis_tlast,
    output logic [127:0] m_axis_tdata,
    output logic         m_axis_tvalid,
    input  logic         m_axis_tready,
    output logic         m_axis_tlast,
    output logic         irq
);
    // register block
    logic         decrypt, key_load, start;
    logic [31:0]  key0, key1, key2, key3, din0, din1, din2, din3;
    logic         irq_block, irq_key, irq_en_block, irq_en_key;
    logic [31:0]  blocks;  // the BLOCKS counter; software reads it
    // key memory
    logic [4:0]   rk_idx;
    logic [31:0]  rk;
    logic         key_ready, key_busy, key_done;
    // round engine
    logic         eng_in_valid, eng_in_ready, eng_busy, eng_out_valid, eng_out_ready;
    logic [127:0] eng_out_data;
    logic [1:0]   eng_out_tag;   // {from the bus, tlast}
    // bus blocks
    logic         bus_pend;      // START seen, block not yet taken
    logic [127:0] dout;
    logic         dout_valid;

    sm4_core_regs u_regs (
        .clk, .rst,
        .s_axil_awaddr, .s_axil_awprot, .s_axil_awvalid, .s_axil_awready,
        .s_axil_wdata, .s_axil_wstrb, .s_axil_wvalid, .s_axil_wready,
        .s_axil_bresp, .s_axil_bvalid, .s_axil_bready,
        .s_axil_araddr, .s_axil_arprot, .s_axil_arvalid, .s_axil_arready,
        .s_axil_rdata, .s_axil_rresp, .s_axil_rvalid, .s_axil_rready,
        .ctrl_decrypt(decrypt), .ctrl_key_load(key_load), .ctrl_start(start),
        .status_key_ready(key_ready), .status_key_busy(key_busy),
        .status_block_busy(eng_busy || bus_pend), .status_dout_valid(dout_valid),
        .blocks_count(blocks), .blocks_count_incr(eng_out_valid && eng_out_ready),
        .key0_word(key0), .key1_word(key1), .key2_word(key2), .key3_word(key3),
        .din0_word(din0), .din1_word(din1), .din2_word(din2), .din3_word(din3),
        .dout0_word(dout[127:96]), .dout1_word(dout[95:64]), .dout2_word(dout[63:32]), .dout3_word(dout[31:0]),
        .irq_status_block_done(irq_block), .irq_status_block_done_hwset(eng_out_valid && eng_out_tag[1]),
        .irq_status_key_done(irq_key), .irq_status_key_done_hwset(key_done),
        .irq_enable_block_done(irq_en_block), .irq_enable_key_done(irq_en_key)
    );

    sm4_key u_key (
        .clk, .rst, .key({key0, key1, key2, key3}), .load(key_load), .hold(eng_busy),
        .rd_idx(rk_idx), .rk_out(rk), .ready(key_ready), .busy(key_busy), .done(key_done)
    );

    wire key_ok = key_ready && !key_busy;
    assign eng_in_valid  = key_ok && (bus_pend || s_axis_tvalid);
    assign s_axis_tready = key_ok && eng_in_ready && !bus_pend;

    sm4_round #(.TAG_W(2)) u_round (
        .clk, .rst,
        .in_valid(eng_in_valid), .in_ready(eng_in_ready),
        .in_data(bus_pend ? {din0, din1, din2, din3} : s_axis_tdata),
        .in_decrypt(decrypt), .in_tag({bus_pend, s_axis_tlast && !bus_pend}),
        .rk_idx, .rk, .busy(eng_busy),
        .out_valid(eng_out_valid), .out_ready(eng_out_ready), .out_data(eng_out_data), .out_tag(eng_out_tag)
    );

    // results: bus blocks to DOUT, stream blocks to m_axis
    assign eng_out_ready = eng_out_tag[1] || m_axis_tready;
    assign m_axis_tvalid = eng_out_valid && !eng_out_tag[1];
    assign m_axis_tdata  = eng_out_data;
    assign m_axis_tlast  = eng_out_tag[0];
    assign irq = (irq_block && irq_en_block) || (irq_key && irq_en_key);

    always_ff @(posedge clk) begin
        if (rst) begin
            bus_pend   <= 1'b0;
            dout       <= 128'd0;
            dout_valid <= 1'b0;
        end else begin
            if (eng_out_valid && eng_out_tag[1]) begin
                dout       <= eng_out_data;
                dout_valid <= 1'b1;
            end
            if (start) begin  // after the capture: a START in the same clock clears DOUT_VALID
                bus_pend   <= 1'b1;
                dout_valid <= 1'b0;
            end else if (eng_in_valid && eng_in_ready && bus_pend) begin
                bus_pend <= 1'b0;
            end
        end
    end

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = ^blocks;  // the counter is for software only
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
